/** Small formatting helpers shared by the panels (pure; no DOM). */
import { fingerprint } from '../../sim/audit.ts';
import type { IssuedSecret } from '../../sim/authServer/state.ts';
import { needlesFor, type Needle } from './highlight.ts';

/** World-clock milliseconds as a UTC wall time, `09:00:05`. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** A duration in milliseconds as `1 h 2 min 3 s` (seconds only below a minute; negative as `-`). */
export function duration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', `${s} s`].filter(Boolean);
  return sign + (h || m ? parts.filter((p) => p !== '0 s').join(' ') : `${s} s`);
}

let memo: { key: string; needles: Needle[] } = { key: '', needles: [] };

/**
 * Needles for every secret the server issued (sessions included: the browser's cookie is a secret too). The
 * same list object comes back while the set of secrets is unchanged, so views do not re-highlight on every tick.
 */
export function issuedNeedles(secrets: readonly IssuedSecret[]): Needle[] {
  const key = secrets.map((s) => `${s.kind}:${s.value}`).join('\n');
  if (key !== memo.key) memo = { key, needles: needlesFor(secrets.map((s) => ({ kind: s.kind, value: s.value, fingerprint: fingerprint(s.value) }))) };
  return memo.needles;
}

/** Pretty-print a JSON text; anything else comes back unchanged. */
export function prettyBody(body: string, contentType: string | undefined): string {
  if (!body || !/json/i.test(contentType ?? '')) return body;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** Bits of entropy in a base64url secret of this length (43 characters → 256). */
export function base64urlBits(value: string): number {
  return Math.floor((value.length * 6) / 8) * 8;
}

/** How many of the newest entries long lists show until the learner asks for all of them. */
export const RECENT_LIMIT = 50;

/** The newest `RECENT_LIMIT` entries of a list (oldest first), or all of them. */
export function latest<T>(list: readonly T[], showAll: boolean, limit = RECENT_LIMIT): readonly T[] {
  return showAll || list.length <= limit ? list : list.slice(list.length - limit);
}
