/**
 * The embed's options: the custom element's attributes and the iframe's hash.
 *
 * Both are UNTRUSTED input (any page can embed the lab, anyone can write a link). Parsing never throws; a key
 * or value it cannot use becomes a readable notice and the default is used. Notices quote untrusted text only
 * as a short, sanitised quote (plain letters, digits and a few punctuation marks), so no markup and no control
 * character from the input is ever reflected. Names (org, idp) may contain markup characters such as `<`:
 * they are TEXT, and the page renders them as text.
 *
 *   attributes   lab, mode, theme, org, cli, idp
 *   hash         #lab=<id>&mode=compact&theme=dark&org=..&cli=..&idp=..&origins=https://a.example,https://b.example:8443
 *
 * The lab id is checked for shape only; the caller checks that the lab exists.
 */
export type EmbedMode = 'full' | 'compact';
export type EmbedTheme = 'light' | 'dark' | 'auto';
export interface EmbedNames { org?: string; cli?: string; idp?: string }
export interface EmbedOptions { lab?: string; mode: EmbedMode; theme: EmbedTheme; names: EmbedNames; origins: string[] }
export interface ParsedEmbedOptions { options: EmbedOptions; notices: string[] }

export const EMBED_MODES: readonly EmbedMode[] = ['full', 'compact'];
export const EMBED_THEMES: readonly EmbedTheme[] = ['light', 'dark', 'auto'];
export const DEFAULT_MODE: EmbedMode = 'full';
export const DEFAULT_THEME: EmbedTheme = 'auto';
/** Longest hash read at all. */
export const MAX_EMBED_HASH_LENGTH = 2000;
/** Longest single value read (for `origins`: each origin in the list). */
export const MAX_EMBED_VALUE_LENGTH = 200;
/** Most origins kept. */
export const MAX_ORIGINS = 10;
/** Longest lab id. */
export const MAX_LAB_ID_LENGTH = 80;
/** Longest org or idp name, in UTF-16 units after trimming (as src/world/names.ts counts, so the world accepts it). */
export const MAX_NAME_LENGTH = 40;

/** The hash's keys, in the order `embedHash` writes them. */
const HASH_KEYS = ['lab', 'mode', 'theme', 'org', 'cli', 'idp', 'origins'] as const;
type HashKey = (typeof HASH_KEYS)[number];
/** The element's attributes (origins only concern the iframe). */
const ATTRIBUTE_KEYS = ['lab', 'mode', 'theme', 'org', 'cli', 'idp'] as const;

const LAB_ID = /^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const CLI_NAME = /^[a-z][a-z0-9-]{0,19}$/;
/** Control characters (C0, DEL, C1), line/paragraph separators and bidi controls (marks, embeddings, overrides, isolates). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** A UTF-16 surrogate without its pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** What a quote of untrusted text may keep; everything else becomes `?`. */
const UNQUOTABLE = /[^\p{L}\p{N} ._:/@,+=-]/gu;
const QUOTE_LIMIT = 30;

/** A short, sanitised quote of untrusted text for a notice: never markup, never a control character. */
export function quoteForNotice(text: string): string {
  const chars = Array.from(text.slice(0, QUOTE_LIMIT * 2 + 2));
  const shown = chars.slice(0, QUOTE_LIMIT).join('').replace(UNQUOTABLE, '?');
  return chars.length > QUOTE_LIMIT ? `${shown}…` : shown;
}

function defaults(): EmbedOptions {
  return { mode: DEFAULT_MODE, theme: DEFAULT_THEME, names: {}, origins: [] };
}

/**
 * An origin as the browser writes `MessageEvent.origin`: scheme, lower-case host, and the port only when it is
 * not the default. Only http and https; no `*`, no `null`, no userinfo, no path other than a bare `/`, no
 * query or fragment. Undefined when the text is not such an origin.
 */
export function normaliseOrigin(text: string): string | undefined {
  try {
    if (typeof text !== 'string' || text.length > MAX_EMBED_VALUE_LENGTH) return undefined;
    const m = /^(https?):\/\/([^/?#@\\\s]+)\/?$/i.exec(text.trim());
    if (!m) return undefined;
    const url = new URL(`${m[1]!.toLowerCase()}://${m[2]}/`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username !== '' || url.password !== '' || url.hostname === '') return undefined;
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
    const origin = url.origin;
    return origin && origin !== 'null' ? origin : undefined;
  } catch {
    return undefined;
  }
}

/** Reads one option's text into `options`, or adds a notice. `text` is trimmed and at most the value cap. */
function apply(options: EmbedOptions, notices: string[], key: HashKey, text: string, where: string): void {
  switch (key) {
    case 'lab':
      if (text === '') return;
      if (text.length > MAX_LAB_ID_LENGTH || !LAB_ID.test(text)) {
        notices.push(`The lab “${quoteForNotice(text)}” in the ${where} is not a lab id (like 01-anatomy); showing the sandbox.`);
      } else options.lab = text;
      return;
    case 'mode': {
      const mode = text.toLowerCase();
      if (text === '') return;
      if ((EMBED_MODES as readonly string[]).includes(mode)) options.mode = mode as EmbedMode;
      else notices.push(`The mode “${quoteForNotice(text)}” in the ${where} is not full or compact; using ${DEFAULT_MODE}.`);
      return;
    }
    case 'theme': {
      const theme = text.toLowerCase();
      if (text === '') return;
      if ((EMBED_THEMES as readonly string[]).includes(theme)) options.theme = theme as EmbedTheme;
      else notices.push(`The theme “${quoteForNotice(text)}” in the ${where} is not light, dark or auto; using ${DEFAULT_THEME}.`);
      return;
    }
    case 'cli':
      if (text === '') return;
      if (CLI_NAME.test(text)) options.names.cli = text;
      else notices.push(`The CLI name “${quoteForNotice(text)}” in the ${where} must be 1 to 20 lower-case letters, digits or dashes, starting with a letter; using the default name.`);
      return;
    case 'org':
    case 'idp': {
      if (text === '') return;
      const what = key === 'org' ? 'organisation' : 'identity provider';
      if (FORBIDDEN_IN_NAME.test(text) || LONE_SURROGATE.test(text)) {
        notices.push(`The ${what} name in the ${where} contains control or text-direction characters; using the default name.`);
      } else if (text.length > MAX_NAME_LENGTH) {
        notices.push(`The ${what} name in the ${where} is longer than ${MAX_NAME_LENGTH} characters; using the default name.`);
      } else options.names[key] = text;
      return;
    }
    case 'origins': {
      const seen = new Set<string>();
      let skipped = 0;
      for (const item of text.split(',')) {
        const trimmed = item.trim();
        if (trimmed === '') continue;
        const origin = normaliseOrigin(trimmed);
        if (!origin) {
          notices.push(`Ignored the origin “${quoteForNotice(trimmed)}”: expected http(s)://host[:port] with nothing after it.`);
          continue;
        }
        if (seen.has(origin)) continue;
        if (seen.size >= MAX_ORIGINS) {
          skipped++;
          continue;
        }
        seen.add(origin);
      }
      if (skipped > 0) notices.push(`More than ${MAX_ORIGINS} origins were given; only the first ${MAX_ORIGINS} are used.`);
      options.origins = [...seen];
      return;
    }
  }
}

/** The custom element's attributes: lab, mode, theme, org, cli, idp (get returns null when absent). */
export function parseEmbedAttributes(get: (name: string) => string | null): ParsedEmbedOptions {
  const options = defaults();
  const notices: string[] = [];
  for (const key of ATTRIBUTE_KEYS) {
    let value: unknown;
    try {
      value = get(key);
    } catch {
      notices.push(`The ${key} attribute could not be read; using the default.`);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') {
      notices.push(`The ${key} attribute is not text; using the default.`);
      continue;
    }
    if (value.length > MAX_EMBED_VALUE_LENGTH) {
      notices.push(`The ${key} attribute is longer than ${MAX_EMBED_VALUE_LENGTH} characters; using the default.`);
      continue;
    }
    try {
      apply(options, notices, key, value.trim(), `${key} attribute`);
    } catch {
      notices.push(`The ${key} attribute could not be read; using the default.`);
    }
  }
  return { options, notices };
}

function isHashKey(key: string): key is HashKey {
  return (HASH_KEYS as readonly string[]).includes(key);
}

/** The iframe's hash: `#lab=<id>&mode=compact&theme=dark&org=..&cli=..&idp=..&origins=https://a.example,https://b.example:8443` */
export function parseEmbedHash(hash: string): ParsedEmbedOptions {
  const notices: string[] = [];
  try {
    if (typeof hash !== 'string') return { options: defaults(), notices: ['The embed settings could not be read; using the defaults.'] };
    const raw = hash.startsWith('#') ? hash.slice(1) : hash;
    if (raw.length > MAX_EMBED_HASH_LENGTH) {
      return { options: defaults(), notices: [`The embed settings are longer than ${MAX_EMBED_HASH_LENGTH} characters; using the defaults.`] };
    }
    const values = new Map<HashKey, string>();
    const duplicated = new Set<HashKey>();
    for (const [key, value] of new URLSearchParams(raw)) {
      if (!isHashKey(key)) {
        notices.push(`Ignored the unknown setting “${quoteForNotice(key)}”: expected ${HASH_KEYS.join(', ')}.`);
        continue;
      }
      if (values.has(key)) {
        if (!duplicated.has(key)) notices.push(`The setting “${key}” appears more than once; using its default.`);
        duplicated.add(key);
        continue;
      }
      values.set(key, value);
    }
    const options = defaults();
    for (const key of HASH_KEYS) {
      const value = values.get(key);
      if (value === undefined || duplicated.has(key)) continue;
      if (key !== 'origins' && value.length > MAX_EMBED_VALUE_LENGTH) {
        notices.push(`The setting “${key}” is longer than ${MAX_EMBED_VALUE_LENGTH} characters; using its default.`);
        continue;
      }
      apply(options, notices, key, value.trim(), 'link');
    }
    return { options, notices };
  } catch {
    return { options: defaults(), notices: ['The embed settings could not be read; using the defaults.'] };
  }
}

/**
 * Percent-encodes a value, keeping `:`, `/`, `[` and `]` readable (they are safe in a fragment's value). A lone
 * surrogate (which `encodeURIComponent` refuses) becomes U+FFFD, so this never throws.
 */
function encodeValue(text: string): string {
  return encodeURIComponent(String(text).replace(new RegExp(LONE_SURROGATE, 'g'), '\uFFFD')).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
}

/**
 * Serialize back (for the docs page's snippet builder): only the options that differ from the defaults, in a
 * fixed order; `''` when everything is default. `parseEmbedHash(embedHash(o))` gives `o` back for valid options.
 */
export function embedHash(options: Partial<EmbedOptions>): string {
  const parts: string[] = [];
  if (options.lab !== undefined && options.lab !== '') parts.push(`lab=${encodeValue(options.lab)}`);
  if (options.mode !== undefined && options.mode !== DEFAULT_MODE) parts.push(`mode=${encodeValue(options.mode)}`);
  if (options.theme !== undefined && options.theme !== DEFAULT_THEME) parts.push(`theme=${encodeValue(options.theme)}`);
  const names = options.names ?? {};
  for (const key of ['org', 'cli', 'idp'] as const) {
    const value = names[key];
    if (value !== undefined && value !== '') parts.push(`${key}=${encodeValue(value)}`);
  }
  if (options.origins && options.origins.length > 0) parts.push(`origins=${options.origins.map(encodeValue).join(',')}`);
  return parts.length > 0 ? `#${parts.join('&')}` : '';
}
