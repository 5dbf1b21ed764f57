/**
 * Sequence-diagram layout for the wire log: each exchange becomes a request arrow (actor → server) and a
 * response arrow (server → actor), or a fault marker when no answer came; lifelines sit at fixed columns.
 * Pure: the component only draws what this returns.
 */
import { readAnswer, readExchange, type ExchangeView } from '../../world/exchangeView.ts';
import type { WireExchange } from '../../world/wire.ts';

export const LANES = ['CLI', 'Browser', 'IdP', 'API', 'Attacker'] as const;
export type Lane = (typeof LANES)[number];

export interface Arrow {
  key: string;
  exchangeId: number;
  kind: 'request' | 'response' | 'fault';
  from: Lane;
  to: Lane;
  label: string;
  /** Who sent it, in words, for the text alternative. */
  actor: string;
  at: number;
  /** An error answer, a fault, or a request still waiting. */
  failed: boolean;
}

const ACTOR_LANE: Record<WireExchange['actor'], Lane> = { cli: 'CLI', browser: 'Browser', victim: 'Browser', attacker: 'Attacker' };
const ACTOR_NAME: Record<WireExchange['actor'], string> = { cli: 'CLI', browser: 'Browser', victim: "Victim's browser", attacker: 'Attacker' };

/** The API lives on its own host (`api.…`) or under `/api`; everything else is the identity provider. */
export function serverLane(url: string): Lane {
  const u = new URL(url);
  return u.hostname.startsWith('api.') || u.pathname.startsWith('/api/') ? 'API' : 'IdP';
}

export function requestLabel(ex: WireExchange): string {
  const view = readExchange(ex);
  if (!view.url) throw new TypeError(`not a URL: ${ex.request.url}`);
  const short = view.grantType?.replace('urn:ietf:params:oauth:grant-type:', '');
  return `${ex.request.method} ${view.path}${short ? ` (${short})` : ''}`;
}

/** `400 slow_down`, `401 invalid_token`, `200`: the status plus the OAuth error when there is one. */
export function responseLabel(res: NonNullable<WireExchange['response']>, view?: ExchangeView): string {
  let error = (view ?? readAnswer(res.body)).jsonError;
  const challenge = res.headers.find(([k]) => k.toLowerCase() === 'www-authenticate')?.[1];
  error ??= challenge ? /error="([^"]+)"/.exec(challenge)?.[1] : undefined;
  return error ? `${res.status} ${error}` : String(res.status);
}

export function arrowsFor(log: readonly WireExchange[]): Arrow[] {
  return log.flatMap((ex): Arrow[] => {
    const client = ACTOR_LANE[ex.actor];
    const server = serverLane(ex.request.url);
    const actor = ACTOR_NAME[ex.actor];
    const request: Arrow = { key: `${ex.id}-req`, exchangeId: ex.id, kind: 'request', from: client, to: server, label: requestLabel(ex), actor, at: ex.startedAt, failed: false };
    if (ex.response) {
      return [request, {
        key: `${ex.id}-res`, exchangeId: ex.id, kind: 'response', from: server, to: client, label: responseLabel(ex.response, readExchange(ex)), actor,
        at: ex.response.at, failed: ex.response.status >= 400,
      }];
    }
    const label = ex.fault === 'network-error' ? 'connection reset' : ex.fault === 'timeout' ? 'no answer (timeout)' : 'waiting…';
    return [request, { key: `${ex.id}-fault`, exchangeId: ex.id, kind: 'fault', from: server, to: client, label, actor, at: ex.abandonedAt ?? ex.startedAt, failed: true }];
  });
}

export interface Geometry {
  laneGap: number;
  rowGap: number;
  top: number;
  left: number;
}

export const DEFAULT_GEOMETRY: Geometry = { laneGap: 170, rowGap: 30, top: 40, left: 80 };

export interface Layout {
  width: number;
  height: number;
  lanes: Array<{ name: Lane; x: number }>;
  arrows: Array<Arrow & { x1: number; x2: number; y: number }>;
}

/** Columns for the lifelines, one row per arrow, top to bottom in time order. */
export function layoutSequence(arrows: readonly Arrow[], g: Geometry = DEFAULT_GEOMETRY): Layout {
  const x = (lane: Lane) => g.left + LANES.indexOf(lane) * g.laneGap;
  return {
    width: g.left * 2 + (LANES.length - 1) * g.laneGap,
    height: g.top + (arrows.length + 1) * g.rowGap,
    lanes: LANES.map((name) => ({ name, x: x(name) })),
    arrows: arrows.map((a, i) => ({ ...a, x1: x(a.from), x2: x(a.to), y: g.top + (i + 1) * g.rowGap })),
  };
}
