/**
 * The labs Vite plugin (wired into vite.config.ts and vitest.config.ts). At build and test time it discovers
 * labs/<NN-slug>/, validates each index.md (loader.ts) and scenario.ts (validateScenario.ts), and serves the
 * result as virtual modules: the parsed content as plain data plus an import of each scenario. The page
 * therefore ships no YAML or Markdown parser, and a malformed lab fails the build or the test run with the
 * file and the field named. Adding a lab is adding a folder.
 *
 *   virtual:labs             every lab, complete (the tests, the instructor's gallery, the embeds)
 *   virtual:labs/summaries   each lab's id, order and frontmatter, plus a loader per lab: the list pages ship
 *                            the titles, not every lesson and scenario (a first visit loads one lab)
 *   virtual:labs/lab/<id>    one lab, complete
 */
import { join, resolve } from 'node:path';
import { runnerImport, type Plugin } from 'vite';
import { LabValidationError, loadLabs } from './loader.ts';
import { SUMMARY_META_FIELDS } from './types.ts';
import { validateScenario } from './validateScenario.ts';

export const LABS_MODULE_ID = 'virtual:labs';
const RESOLVED_ID = `\0${LABS_MODULE_ID}`;

export interface LabsPluginOptions {
  /** Project root (default: Vite's root). */
  root?: string;
  /** The labs folder, relative to the root (default `labs`). */
  dir?: string;
}

/** How the virtual modules import each lab's scenario (see resolveId). */
const SCENARIO_PREFIX = 'virtual:labs/scenario/';
export const SUMMARIES_MODULE_ID = 'virtual:labs/summaries';
/** Only the loaders (a line a lab): small enough for the app shell, so a lab's chunk can start loading at once. */
export const LOADERS_MODULE_ID = 'virtual:labs/loaders';
const LAB_PREFIX = 'virtual:labs/lab/';
const LAB_ID = /^\d{2}-[a-z0-9-]+$/;

export function labsPlugin(options: LabsPluginOptions = {}): Plugin {
  let root = options.root ?? process.cwd();
  let command: 'build' | 'serve' = 'serve';
  const labsDir = () => resolve(root, options.dir ?? 'labs');

  return {
    name: 'device-flow-lab:labs',
    configResolved(config) {
      root = options.root ?? config.root;
      command = config.command;
    },
    async buildStart() {
      const labs = loadLabs(labsDir(), root);
      if (command !== 'build') return;
      // A production build also imports each scenario (with Vite's module runner) and checks it.
      const checked = await Promise.all(labs.map(async (lab) => {
        const file = `labs/${lab.content.id}/scenario.ts`;
        try {
          const { module } = await runnerImport<{ default?: unknown }>(lab.scenarioPath, { root, configFile: false, logLevel: 'silent' });
          return validateScenario(module.default, file);
        } catch (err) {
          return [`${file}: could not be loaded: ${(err as Error).message.split('\n')[0]}`];
        }
      }));
      const problems = checked.flat();
      if (problems.length) throw new LabValidationError(problems);
    },
    resolveId(id) {
      if (id === LABS_MODULE_ID || id === SUMMARIES_MODULE_ID || id === LOADERS_MODULE_ID) return `\0${id}`;
      if (id.startsWith(LAB_PREFIX) && LAB_ID.test(id.slice(LAB_PREFIX.length))) return `\0${id}`;
      // Each lab's scenario, imported by the virtual module under a stable id and resolved here to its file:
      // an absolute path from resolveId works alike in the dev server, the build and the tests.
      if (id.startsWith(SCENARIO_PREFIX)) {
        const labId = id.slice(SCENARIO_PREFIX.length);
        return LAB_ID.test(labId) ? join(labsDir(), labId, 'scenario.ts') : undefined;
      }
      return undefined;
    },
    load(id) {
      if (!id.startsWith(`\0${LABS_MODULE_ID}`)) return undefined;
      const labs = loadLabs(labsDir(), root);
      // Watch the lab files themselves (a directory given to addWatchFile is treated as an import in dev).
      for (const lab of labs) {
        this.addWatchFile(join(labsDir(), lab.content.id, 'index.md'));
      }
      const ref = (labId: string) => JSON.stringify(`${LAB_PREFIX}${labId}`);
      if (id === RESOLVED_ID) {
        const imports = labs.map((lab, i) => `import lab${i} from ${ref(lab.content.id)};`);
        return `${imports.join('\n')}\n/** Every lab, validated at build time, in folder order. */\nexport const labs = [${labs.map((_, i) => `lab${i}`).join(', ')}];\n`;
      }
      if (id === `\0${SUMMARIES_MODULE_ID}`) {
        const summaries = labs.map((lab) => {
          const meta = Object.fromEntries(SUMMARY_META_FIELDS.map((f) => [f, lab.content.meta[f]]));
          return `  ${JSON.stringify({ id: lab.content.id, order: lab.content.order, meta })},`;
        });
        return `/** Each lab's id, order and frontmatter, in folder order. */\nexport const labSummaries = [\n${summaries.join('\n')}\n];\n`
          + `export { labLoaders } from ${JSON.stringify(LOADERS_MODULE_ID)};\n`;
      }
      if (id === `\0${LOADERS_MODULE_ID}`) {
        const loaders = labs.map((lab) => `  ${JSON.stringify(lab.content.id)}: () => import(${ref(lab.content.id)}),`);
        return `/** Each lab, complete, loaded on demand. */\nexport const labLoaders = {\n${loaders.join('\n')}\n};\n`;
      }
      const labId = id.slice(`\0${LAB_PREFIX}`.length);
      const lab = labs.find((l) => l.content.id === labId);
      if (!lab) return undefined;
      return `import scenario from ${JSON.stringify(`${SCENARIO_PREFIX}${labId}`)};\nexport default { ...${JSON.stringify(lab.content)}, scenario };\n`;
    },
    handleHotUpdate(ctx) {
      if (!ctx.file.startsWith(labsDir()) || !ctx.file.endsWith('.md')) return undefined;
      for (const [id, mod] of ctx.server.moduleGraph.idToModuleMap) {
        if (id.startsWith(`\0${LABS_MODULE_ID}`)) ctx.server.moduleGraph.invalidateModule(mod);
      }
      ctx.server.ws.send({ type: 'full-reload' });
      return [];
    },
  };
}
