/**
 * The labs Vite plugin (wired into vite.config.ts and vitest.config.ts). At build and test time it discovers
 * labs/<NN-slug>/, validates each index.md (loader.ts) and scenario.ts (validateScenario.ts), and serves the
 * result as the virtual module `virtual:labs`: the parsed content as plain data plus an import of each
 * scenario. The page therefore ships no YAML or Markdown parser, and a malformed lab fails the build or the
 * test run with the file and the field named. Adding a lab is adding a folder.
 */
import { join, resolve } from 'node:path';
import { runnerImport, type Plugin } from 'vite';
import { LabValidationError, loadLabs } from './loader.ts';
import { validateScenario } from './validateScenario.ts';

export const LABS_MODULE_ID = 'virtual:labs';
const RESOLVED_ID = `\0${LABS_MODULE_ID}`;

export interface LabsPluginOptions {
  /** Project root (default: Vite's root). */
  root?: string;
  /** The labs folder, relative to the root (default `labs`). */
  dir?: string;
}

/** How the virtual module imports each lab's scenario (see resolveId). */
const SCENARIO_PREFIX = 'virtual:labs/scenario/';

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
      if (id === LABS_MODULE_ID) return RESOLVED_ID;
      // Each lab's scenario, imported by the virtual module under a stable id and resolved here to its file:
      // an absolute path from resolveId works alike in the dev server, the build and the tests.
      if (id.startsWith(SCENARIO_PREFIX)) {
        const labId = id.slice(SCENARIO_PREFIX.length);
        return /^\d{2}-[a-z0-9-]+$/.test(labId) ? join(labsDir(), labId, 'scenario.ts') : undefined;
      }
      return undefined;
    },
    load(id) {
      if (id !== RESOLVED_ID) return undefined;
      const labs = loadLabs(labsDir(), root);
      // Watch the lab files themselves (a directory given to addWatchFile is treated as an import in dev).
      for (const lab of labs) {
        this.addWatchFile(join(labsDir(), lab.content.id, 'index.md'));
      }
      const imports = labs.map((lab, i) => `import scenario${i} from ${JSON.stringify(`${SCENARIO_PREFIX}${lab.content.id}`)};`);
      const entries = labs.map((lab, i) => `  { ...${JSON.stringify(lab.content)}, scenario: scenario${i} },`);
      return `${imports.join('\n')}\n/** Every lab, validated at build time, in folder order. */\nexport const labs = [\n${entries.join('\n')}\n];\n`;
    },
    handleHotUpdate(ctx) {
      if (!ctx.file.startsWith(labsDir()) || !ctx.file.endsWith('.md')) return undefined;
      const mod = ctx.server.moduleGraph.getModuleById(RESOLVED_ID);
      if (mod) ctx.server.moduleGraph.invalidateModule(mod);
      ctx.server.ws.send({ type: 'full-reload' });
      return [];
    },
  };
}
