/**
 * The app's hash routes. The hash is untrusted input (anyone can send a link): it is parsed into one of a
 * few known routes, never echoed as markup, and anything unexpected falls back to a working page with a
 * readable notice.
 *
 *   `#/` (or no hash)          home: the labs in order
 *   `#/simulator`              the free simulator
 *   `#/sandbox[?...]`          the simulator plus the knob panel; the query carries knobs (read by the sandbox)
 *   `#/instructor`             instructor mode
 *   `#/embed`                  how to embed the lab in other pages (snippets, events, a live example)
 *   `#/lab/<id>[?step=<n>]`    a lab, optionally at the scene after its prelude and its first n solution steps
 *
 * The router does not know which labs exist: the app checks `labId` against the loaded labs.
 */
export type RouteName = 'home' | 'simulator' | 'sandbox' | 'instructor' | 'embed' | 'lab';

export interface Route {
  name: RouteName;
  /** The part after `?` in the hash (undecoded), for the route's own parameters. */
  query: string;
  /** Set when the hash could not be used as given: what the page tells the person. */
  notice?: string;
  /** For `lab`: the lab id as written (checked for shape only). */
  labId?: string;
  /** For `lab`: how many solution steps to replay after the prelude. */
  step?: number;
}

/** Hashes longer than this are not parsed at all. */
export const MAX_HASH_LENGTH = 4096;
/** The largest `?step=` a link may carry. */
export const MAX_STEP = 999;
/** How much of an unknown path the notice quotes. */
const QUOTE_LIMIT = 40;
/** A lab folder name: two digits, a dash, a kebab-case slug. */
const LAB_ID = /^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const ROUTE_HREFS: Readonly<Record<Exclude<RouteName, 'lab'>, string>> = {
  home: '#/', simulator: '#/simulator', sandbox: '#/sandbox', instructor: '#/instructor', embed: '#/embed',
};

/** The link to a lab (at a step, when given). */
export function labHref(id: string, step?: number): string {
  return `#/lab/${encodeURIComponent(id)}${step !== undefined && step > 0 ? `?step=${step}` : ''}`;
}

const PATHS: Readonly<Record<string, Exclude<RouteName, 'lab'>>> = {
  '': 'home', '/': 'home', '/simulator': 'simulator', '/simulator/': 'simulator', '/sandbox': 'sandbox', '/sandbox/': 'sandbox',
  '/instructor': 'instructor', '/instructor/': 'instructor', '/embed': 'embed', '/embed/': 'embed',
};

/** Parse `location.hash` (with or without the leading `#`). Never throws. */
export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw.length > MAX_HASH_LENGTH) {
    return { name: 'simulator', query: '', notice: 'The link is too long to read. Showing the simulator.' };
  }
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q + 1);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { name: 'simulator', query: '', notice: 'The link is malformed. Showing the simulator.' };
  }
  const name = Object.hasOwn(PATHS, path) ? PATHS[path] : undefined;
  if (name) return { name, query };
  if (path.startsWith('/lab/')) return parseLab(path.slice('/lab/'.length).replace(/\/$/, ''), query);
  return { name: 'simulator', query: '', notice: `There is no page called “${quote(path)}”. Showing the simulator.` };
}

function parseLab(id: string, query: string): Route {
  if (!LAB_ID.test(id) || id.length > 80) {
    return { name: 'home', query: '', notice: `There is no lab called “${quote(id)}”. Showing the list of labs.` };
  }
  let stepText: string | null = null;
  try {
    stepText = new URLSearchParams(query).get('step');
  } catch {
    stepText = null;
  }
  if (stepText === null) return { name: 'lab', query, labId: id };
  if (!/^\d{1,3}$/.test(stepText) || Number(stepText) > MAX_STEP) {
    return { name: 'lab', query, labId: id, notice: `The step “${quote(stepText)}” in the link is not a step number. Opening the lab at its start.` };
  }
  const step = Number(stepText);
  return step === 0 ? { name: 'lab', query, labId: id } : { name: 'lab', query, labId: id, step };
}

/** A short, printable quote of untrusted text (shown as text, never as markup). */
export function quote(text: string): string {
  const printable = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '')
    // A surrogate without its pair cannot be shown; it becomes the replacement character.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  // Cut by characters, not UTF-16 units, so the cut never splits a pair (an emoji) into two broken halves.
  const chars = Array.from(printable);
  return chars.length > QUOTE_LIMIT ? `${chars.slice(0, QUOTE_LIMIT).join('')}…` : printable;
}
