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
 *   `#/lab/<id>[?step=<n>]`    a lab, optionally at the scene after its prelude and its first n solution steps;
 *                              `&hard=1` is hard mode (every knob shown, hints only when asked), `&hints=off` hides
 *                              hints and solutions (links opened from instructor mode with its switch on)
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
  /** For `lab`: hard mode (`hard=1`): every knob shown, no hints unless asked. Set only when on. */
  hard?: true;
  /** For `lab`: hints and solutions hidden (`hints=off`, instructor mode's switch). Set only when on. */
  hideHints?: true;
}

/** How a lab view is opened: hard mode, and hints and solutions hidden (instructor mode's switch). */
export interface LabLinkOptions {
  hard?: boolean | undefined;
  hideHints?: boolean | undefined;
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

/** The link to a lab (at a step, in hard mode, with hints hidden, when given). */
export function labHref(id: string, step?: number, options: LabLinkOptions = {}): string {
  const params = [
    ...(step !== undefined && step > 0 ? [`step=${step}`] : []),
    ...(options.hard ? ['hard=1'] : []),
    ...(options.hideHints ? ['hints=off'] : []),
  ];
  return `#/lab/${encodeURIComponent(id)}${params.length ? `?${params.join('&')}` : ''}`;
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
  let params: URLSearchParams | undefined;
  try {
    params = new URLSearchParams(query);
  } catch {
    params = undefined;
  }
  const stepText = params?.get('step') ?? null;
  // Anything but the exact flag values leaves the mode off (the guided lab): nothing to tell the person.
  const route: Route = { name: 'lab', query, labId: id };
  if (params?.get('hard') === '1') route.hard = true;
  if (params?.get('hints') === 'off') route.hideHints = true;
  if (stepText === null) return route;
  if (!/^\d{1,3}$/.test(stepText) || Number(stepText) > MAX_STEP) {
    return { ...route, notice: `The step “${quote(stepText)}” in the link is not a step number. Opening the lab at its start.` };
  }
  const step = Number(stepText);
  return step === 0 ? route : { ...route, step };
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
