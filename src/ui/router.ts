/**
 * The app's hash routes. The hash is untrusted input (anyone can send a link): it is parsed into one of a
 * few known routes, never echoed as markup, and anything unexpected falls back to the simulator with a
 * readable notice.
 *
 *   `#/` (or no hash)   the simulator
 *   `#/sandbox[?...]`   the simulator plus the knob panel; the query carries knobs (read by the sandbox)
 */
export type RouteName = 'simulator' | 'sandbox';

export interface Route {
  name: RouteName;
  /** The part after `?` in the hash (undecoded), for the route's own parameters. */
  query: string;
  /** Set when the hash could not be used as given: what the page tells the person. */
  notice?: string;
}

/** Hashes longer than this are not parsed at all. */
export const MAX_HASH_LENGTH = 4096;
/** How much of an unknown path the notice quotes. */
const QUOTE_LIMIT = 40;

export const ROUTE_HREFS: Readonly<Record<RouteName, string>> = { simulator: '#/', sandbox: '#/sandbox' };

const PATHS: Readonly<Record<string, RouteName>> = { '': 'simulator', '/': 'simulator', '/sandbox': 'sandbox', '/sandbox/': 'sandbox' };

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
  return { name: 'simulator', query: '', notice: `There is no page called “${quote(path)}”. Showing the simulator.` };
}

/** A short, printable quote of untrusted text (shown as text, never as markup). */
function quote(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '');
  return printable.length > QUOTE_LIMIT ? `${printable.slice(0, QUOTE_LIMIT)}…` : printable;
}
