/**
 * Labs are authored with the default names (`acme login`, `~/.config/acme`, "Acme"); a world may be branded
 * (src/world/names.ts). Two small translations bridge them, both over authored text only, never over world
 * data (terminal lines, files, wire log), which the world already produces in its own names:
 * - `brandText` for prose a person reads (lesson, hints, objectives, debrief);
 * - `brandCommand` for a command line a lab step types, word by word, as the learner would type it.
 */
import { tokenEnvVar } from '../flow/types.ts';
import { hostPaths } from '../world/host.ts';
import { DEFAULT_NAMES, type Names } from '../world/names.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The default names as whole words. A word counts when no letter, digit, underscore, dot, `@` or dash is
 * glued to its front (so `pacme`, `x-acme`, `idp.acme`, `alice@acme` stay) and no letter, digit or
 * underscore to its end (so `acmeish` stays, while `acme-cli`, `acme's` and `~/.config/acme/` change).
 * A `.test` after it marks a hostname, which is an address, not a name: hostnames stay fixed.
 * The IdP's full name goes first so "Acme identity provider" becomes the IdP's name, not "<org> identity provider".
 */
const WORDS = new RegExp(
  `(?<![\\w.@-])(${[DEFAULT_NAMES.idp, tokenEnvVar(DEFAULT_NAMES.cli), DEFAULT_NAMES.org, DEFAULT_NAMES.cli].map(escape).join('|')})(?!\\w|\\.test\\b)`,
  'g',
);

/**
 * Authored text in the world's names: the IdP's default name → `names.idp`, `Acme` → `names.org`, `acme` →
 * `names.cli`, `ACME_TOKEN` → the branded CLI's token variable. Case-sensitive, one pass (a replacement is
 * never replaced again). The default names give back the text unchanged.
 */
export function brandText(text: string, names: Partial<Names> | undefined): string {
  // Unset fields keep the default (a view may hold the embed's partial names); display only, so no validation.
  const { org, cli, idp } = { ...DEFAULT_NAMES, ...names };
  if (org === DEFAULT_NAMES.org && cli === DEFAULT_NAMES.cli && idp === DEFAULT_NAMES.idp) return text;
  return text.replace(WORDS, (word) => {
    if (word === DEFAULT_NAMES.idp) return idp;
    if (word === DEFAULT_NAMES.org) return org;
    if (word === DEFAULT_NAMES.cli) return cli;
    return tokenEnvVar(cli);
  });
}

/**
 * A command line a lab step types, in the world's names: the command word `acme` becomes the world's CLI, and
 * an argument that is one of the default CLI's host paths (or lies under one of its directories) becomes the
 * branded path. Nothing else changes: flags, API paths and scopes are not names.
 */
export function brandCommand(line: string, names: Names): string {
  if (names.cli === DEFAULT_NAMES.cli) return line;
  const from = hostPaths(DEFAULT_NAMES.cli);
  const to = hostPaths(names.cli);
  // Longest first, so the credentials file maps as a file and not as "something under the config directory".
  const keys = (Object.keys(from) as Array<keyof typeof from>).sort((a, b) => from[b].length - from[a].length);
  const path = (word: string) => {
    for (const k of keys) {
      if (word === from[k] || word.startsWith(`${from[k]}/`)) return to[k] + word.slice(from[k].length);
    }
    return word;
  };
  // Words are split on spaces only, so quoting and spacing survive; lab steps need no more shell than that.
  return line.replace(/\S+/g, (word, offset: number) => (offset === line.search(/\S/) ? (word === DEFAULT_NAMES.cli ? names.cli : word) : path(word)));
}
