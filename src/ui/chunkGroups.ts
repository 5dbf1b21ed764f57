type Info = { importedIds: readonly string[] } | null;
type Ctx = { getModuleInfo(id: string): Info };
export function chunkGroups() {
  const closures = new Map<string, Set<string>>();
  const closure = (ctx: Ctx, root: (id: string) => boolean, all: string[], key: string) => {
    let c = closures.get(key);
    if (c) return c;
    c = new Set();
    const visit = (id: string) => { if (c!.has(id)) return; c!.add(id); for (const i of ctx.getModuleInfo(id)?.importedIds ?? []) visit(i); };
    for (const id of all) if (root(id)) visit(id);
    closures.set(key, c);
    return c;
  };
  let ids: string[] | undefined;
  return [{
    name(id: string, ctx: Ctx & { getModuleIds?: () => Iterable<string> }) {
      return undefined;
    },
  }];
}
