/**
 * Model-based testing of the CLI machine (src/flow/machine.ts) with `xstate/graph`, replayed on real worlds.
 *
 * WHY NOT createTestModel: it refuses machines with `invoke`/`after`. We traverse the real machine directly with
 * `getShortestPaths` / `getSimplePaths` and feed it the events its environment would produce:
 *
 *  - user events (a fixed, small set of `CliEvent`s: login, cancel, whoami, `api POST /api/projects`, token, logout);
 *  - the done/error events of every invoked actor, with representative outputs (OUTCOMES, keyed by the actor's
 *    `src`). Event TYPES are read from the machine definition (`node.invoke[i].id` gives
 *    `xstate.done.actor.<id>` / `xstate.error.actor.<id>`, `node.after` gives `xstate.after.<delay>.<id>`), so a new
 *    invoke or timer shows up by itself; a new actor `src` without an OUTCOMES entry fails `checkCatalog()`;
 *  - timers (`xstate.after.*`) as clock steps.
 *
 * Traversal state = state value + only the context bits that guards read (metadata cached, session
 * fresh/expired/refreshable, pending call and its retry flag, DPoP key present, revocation queue and attempts,
 * the last denied/expired poll so the environment stays consistent) + (for shortest paths) the label of the event
 * that led there. Including the incoming event makes every EDGE a vertex, so "a shortest path to every vertex" is
 * transition coverage, not only state coverage. Shortest paths are then de-duplicated (a path that is a prefix of
 * another is dropped, as TestModel does). Simple paths are exponential, so they are taken only inside bounded
 * regions (the poll loop, logout with retries), prefixed by the shortest path to the region's entry; parallel edges
 * (503 / network error / timeout between the same two states) multiply them, so one per distinct state sequence.
 *
 * A transition that throws during traversal (an invoke `input` that crashes) is recorded in `crashes` and pruned;
 * the suite fails on any. (It found `refreshing` reading `context.metadata!` after a session restored at boot; the
 * machine now discovers first: `discoveringForRefresh`, `loggingOut.locating/discovering`.)
 *
 * The environment model keeps itself consistent where the machine cannot know: storage and WebCrypto settle before
 * the person can type (while one runs, only its outcomes are offered); a denied/expired code keeps answering the
 * same; a write gets 403 and a read 200. (A logout may give up on the access token after the refresh token's
 * revocation went through: the machine then deletes the local copy anyway, so no path is left holding dead tokens.)
 * A settled promise actor's child is dropped from the traversal snapshot, as in a real actor (the pure transition
 * keeps it after a targetless onDone).
 *
 * Replay (`replayPath`): a fresh `createWorld` per path. The CLI under test is a real `cliMachine` actor created with
 * exactly the input createWorld gives its own CLI (same wire `fetchFor('cli')`, clock, host, issuer, API), plus an
 * `inspect` observer for coverage; it is a second "process" on the same machine, which is also how a stored session
 * is restored (a previous process logs in with `world.cli`, then exits). Every CLI request is held at the wire's
 * step-mode gate until the path says what the answer is; then the world is arranged so the REAL server produces
 * that outcome and the request is released:
 *   approve/deny → `world.browser` signs in, enters the code, decides; slow_down → `forcedSlowDowns` on the pending
 *   grant; expired_token → the grant's `expiresAt` set to now; other poll error → the grant is forgotten
 *   (invalid_grant); refresh refused → the refresh token revoked at the server; 429 → a busy intermediary (with the
 *   simulated rate limiter's own 429 body, or Entra's temporarily_unavailable);
 *   401 → the access token revoked at the server; 403 → a write (`POST /api/projects`) with a read-only token;
 *   tokens without refresh → `setKnobs({ issueRefreshTokens: false })`.
 *   Network error → the held request fails with the same TypeError `wire.injectFault('network-error')` throws
 *   (injectFault is decided before the gate, so it cannot apply to a request already held). Timeout →
 *   `wire.injectFault({ fault: 'timeout' })` armed before the request goes out, then the clock step.
 *   A few answers a conformant server never gives (a captive portal's 200 HTML page, a 503 on revocation) come from an
 *   "intermediary" that answers in the server's place for exactly one request (`world.idp.handle` wrapped once).
 *   Storage/crypto actors settle by themselves, so their outcomes are arranged before the step that starts them
 *   (corrupt keychain entry, keyring unavailable, a disk error on clear, WebCrypto refusing to generate a key).
 * Timers: the due time is entry time of the state (from inspection) + the machine's own delay implementation on the
 * real context; the world clock is advanced to it, and any other timer due earlier makes the path unrealisable (an
 * error). The code lifetime is planned per login from the path so `codeExpiry` falls between the right steps.
 * After each step the real actor's snapshot sequence must contain the path's states in order and end on the last.
 */
import { createActor, type AnyStateNode, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths, type StatePath } from 'xstate/graph';
import { NetworkError } from '../../flow/http.ts';
import type { ClientKnobs } from '../../flow/knobs.ts';
import { cliMachine } from '../../flow/machine.ts';
import type { CliEvent, CliInput } from '../../flow/types.ts';
import { ResponseValidationError, RetryLaterError } from '../../protocol/client.ts';
import { retryLaterResponse } from '../../sim/authServer/http.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { SIM_ISSUER } from '../../sim/idp.ts';
import type { ServerKnobs } from '../../sim/knobs.ts';
import { ADDRESSES, CLI_USER_AGENT, SIM_API_BASE, createWorld, type World } from '../index.ts';
import type { WireExchange } from '../wire.ts';
import { KEYCHAIN_SERVICE } from '../../flow/storage.ts';

type Snap = SnapshotFrom<typeof cliMachine>;
type Ev = { type: string; [k: string]: unknown };
export type ModelPath = StatePath<Snap, Ev>;

// ------------------------------------------------------------------------------------------------------------
// Variants: one traversal and one set of worlds per client configuration (knob-dependent guards need them).

export interface Variant {
  name: string;
  knobs: Partial<ClientKnobs>;
  issuer?: string;
  serverKnobs?: Partial<ServerKnobs>;
  /** Offer stored sessions at boot (bearer only; a DPoP session is never restored). */
  restoredSessions: boolean;
  /** A CI runner whose platform offers the job an OIDC ID token (the workload identity path). */
  ciIdToken?: boolean;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'defaults', knobs: {}, restoredSessions: true },
  { name: 'dpop+debug', knobs: { dpop: true, debug: 'requests' }, restoredSessions: false },
  { name: 'fatal slow_down, keep polling', knobs: { slowDown: 'fatal', stopOnDenialOrExpiry: false, unknownPollErrors: 'keep-polling' }, restoredSessions: false },
  { name: 'insecure issuer', knobs: {}, issuer: 'http://idp.acme.test', restoredSessions: false },
  { name: 'workload identity (CI)', knobs: {}, ciIdToken: true, serverKnobs: { workloadIdentityFederation: true }, restoredSessions: false },
];

// ------------------------------------------------------------------------------------------------------------
// Environment outcomes per actor src. `value` is the output (done) or error (error) the traversal feeds.

const T0 = new VirtualClock().now();
const device = { device_code: 'dc', user_code: 'WDJB-MJHT', verification_uri: 'https://idp.acme.test/device', expires_in: 600, interval: 5 };
const metadata = {
  issuer: SIM_ISSUER, token_endpoint: `${SIM_ISSUER}/token`, device_authorization_endpoint: `${SIM_ISSUER}/device_authorization`,
  revocation_endpoint: `${SIM_ISSUER}/revoke`,
};
const oauth = (error: string, status = 400) => ({ error, status });
const tokens = (o: { expiresIn: number; refresh: boolean; dpop?: boolean }) => ({
  access_token: 'at', token_type: o.dpop ? 'DPoP' : 'Bearer', expires_in: o.expiresIn, scope: 'profile projects:read',
  ...(o.refresh ? { refresh_token: 'rt' } : {}),
});
const session = (expired: boolean) => ({
  issuer: SIM_ISSUER, clientId: 'acme-cli', accessToken: 'at', tokenType: 'Bearer', scope: 'profile projects:read',
  expiresAt: expired ? T0 - 1 : T0 + 900_000, refreshToken: 'rt',
});
const netErr = () => new NetworkError('https://x.test', new TypeError('fetch failed'));
const garbage = () => new ResponseValidationError('response', '(body)', 'a JSON object', '<html>');
/** HTTP 429 (or 503) "try again later", as processTokenEndpointResponse reports it; `seconds` is the Retry-After. */
const busy = (seconds: number, error?: string) => new RetryLaterError('token response', 429, { seconds }, error ? oauth(error, 429) : undefined);

export interface Outcome {
  label: string;
  kind: 'done' | 'error';
  value: (v: Variant) => unknown;
  /** Only offer it when this holds on the traversal snapshot (keeps the environment consistent). */
  when?: (s: Snap, v: Variant) => boolean;
}

const pollKind = (s: Snap) => s.context.lastPoll?.kind;
/** The code is dead at the server (denied, expired, forgotten): a client that keeps polling hears the same again. */
const stuck = (s: Snap) => pollKind(s) === 'denied' || pollKind(s) === 'expired' || pollKind(s) === 'error';
const isWrite = (s: Snap) => s.context.pendingCall?.method === 'POST';

export const OUTCOMES: Record<string, readonly Outcome[]> = {
  loadSession: [
    { label: 'no session', kind: 'done', value: () => undefined },
    { label: 'stored session', kind: 'done', value: () => session(false), when: (_s, v) => v.restoredSessions },
    { label: 'stored session, access token expired', kind: 'done', value: () => session(true), when: (_s, v) => v.restoredSessions },
    { label: 'corrupt store', kind: 'error', value: () => new SyntaxError('Unexpected token'), when: (_s, v) => v.restoredSessions },
  ],
  generateProofKey: [
    { label: 'key', kind: 'done', value: () => ({ privateKey: {}, publicKey: {}, publicJwk: {} }) },
    { label: 'crypto failure', kind: 'error', value: () => new Error('NotSupportedError') },
  ],
  discoverMetadata: [
    { label: 'metadata', kind: 'done', value: () => metadata },
    { label: 'network error', kind: 'error', value: netErr },
  ],
  requestDeviceCode: [
    { label: 'codes', kind: 'done', value: () => device },
    { label: 'network error', kind: 'error', value: netErr },
  ],
  pollToken: [
    { label: 'pending', kind: 'done', value: () => ({ outcome: { kind: 'pending' } }), when: (s) => !stuck(s) },
    { label: 'slow_down', kind: 'done', value: () => ({ outcome: { kind: 'slow_down', error: oauth('slow_down') } }), when: (s) => !stuck(s) },
    { label: 'approved', kind: 'done', value: (v) => ({ outcome: { kind: 'tokens', tokens: tokens({ expiresIn: 900, refresh: true, dpop: v.knobs.dpop }) } }), when: (s) => !stuck(s) },
    { label: 'approved, short-lived', kind: 'done', value: (v) => ({ outcome: { kind: 'tokens', tokens: tokens({ expiresIn: 0, refresh: true, dpop: v.knobs.dpop }) } }), when: (s, v) => !stuck(s) && v.name === 'defaults' },
    { label: 'approved, short-lived, no refresh token', kind: 'done', value: () => ({ outcome: { kind: 'tokens', tokens: tokens({ expiresIn: 0, refresh: false }) } }), when: (s, v) => !stuck(s) && v.name === 'defaults' },
    { label: 'access_denied', kind: 'done', value: () => ({ outcome: { kind: 'denied', error: oauth('access_denied') } }), when: (s) => !stuck(s) || pollKind(s) === 'denied' },
    { label: 'expired_token', kind: 'done', value: () => ({ outcome: { kind: 'expired', error: oauth('expired_token') } }), when: (s) => !stuck(s) || pollKind(s) === 'expired' },
    { label: 'invalid_grant', kind: 'done', value: () => ({ outcome: { kind: 'error', error: oauth('invalid_grant') } }), when: (s) => !stuck(s) || pollKind(s) === 'error' },
    { label: 'network error', kind: 'error', value: netErr },
    { label: 'garbage from a proxy', kind: 'error', value: garbage },
    { label: '429, no error code', kind: 'error', value: () => busy(1) },
  ],
  saveSession: [
    { label: 'saved', kind: 'done', value: () => ({ target: { kind: 'keychain', service: KEYCHAIN_SERVICE, account: SIM_ISSUER }, fellBack: false }) },
    { label: 'keyring unavailable', kind: 'error', value: () => new Error('keyring unavailable'), when: (_s, v) => v.name === 'defaults' },
  ],
  callApi: [
    { label: '200', kind: 'done', value: () => ({ outcome: { kind: 'ok', status: 200, body: '{}' } }), when: (s) => !isWrite(s) },
    { label: '401 invalid_token', kind: 'done', value: () => ({ outcome: { kind: 'invalid_token', status: 401 } }) },
    { label: '403 insufficient_scope', kind: 'done', value: () => ({ outcome: { kind: 'insufficient_scope', status: 403, scope: 'projects:write' } }), when: isWrite },
    { label: 'network error', kind: 'error', value: netErr },
  ],
  refreshTokens: [
    { label: 'refreshed', kind: 'done', value: (v) => ({ result: { ok: true, tokens: tokens({ expiresIn: 900, refresh: true, dpop: v.knobs.dpop }) } }) },
    { label: 'invalid_grant', kind: 'done', value: () => ({ result: { ok: false, error: oauth('invalid_grant') } }) },
    { label: '429 temporarily_unavailable', kind: 'error', value: () => busy(1, 'temporarily_unavailable') },
    { label: '429, no error code', kind: 'error', value: () => busy(1) },
    { label: '429, Retry-After past the bound', kind: 'error', value: () => busy(3600) },
    { label: '500 server_error', kind: 'done', value: () => ({ result: { ok: false, error: oauth('server_error', 500) } }) },
    { label: 'network error', kind: 'error', value: netErr },
    { label: 'garbage from a proxy', kind: 'error', value: garbage },
  ],
  exchangeCiToken: [
    { label: 'exchanged', kind: 'done', value: () => ({ ok: true, tokens: tokens({ expiresIn: 900, refresh: false }) }) },
    { label: 'refused', kind: 'done', value: () => ({ ok: false, error: oauth('unsupported_grant_type') }) },
    { label: 'network error', kind: 'error', value: netErr },
  ],
  revokeToken: [
    { label: '200', kind: 'done', value: () => ({ ok: true }) },
    { label: '503 from a proxy', kind: 'done', value: () => ({ ok: false, status: 503, retryAfterS: 1 }) },
    { label: '429', kind: 'done', value: () => ({ ok: false, status: 429, error: 'temporarily_unavailable' }) },
    { label: 'network error', kind: 'error', value: netErr },
  ],
  clearSession: [
    { label: 'cleared', kind: 'done', value: () => [{ kind: 'keychain', service: KEYCHAIN_SERVICE, account: SIM_ISSUER }] },
    { label: 'disk error', kind: 'error', value: () => new Error('EIO'), when: (s, v) => v.name === 'defaults' && s.matches('loggingOut') },
  ],
};

/** Actors whose promise settles by itself (no network): their outcome is arranged before the step that starts them. */
const AUTOMATIC = new Set(['loadSession', 'saveSession', 'clearSession', 'generateProofKey']);

const USER_EVENTS: readonly CliEvent[] = [
  { type: 'user.login' },
  { type: 'user.cancel' },
  { type: 'user.whoami' },
  { type: 'user.api', method: 'POST', path: '/api/projects' },
  { type: 'user.token' },
  { type: 'user.logout' },
  { type: 'user.refresh' },
];

// ------------------------------------------------------------------------------------------------------------
// The machine definition: state nodes, transitions, invokes, timers.

export function allStateNodes(node: AnyStateNode = cliMachine.root): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((c) => allStateNodes(c))];
}

export interface TransitionInfo {
  key: string;
  source: string;
  event: string;
  targets: string[];
}

/** Every transition of the definition, named `<source> <event>#<index> → <targets>` ('(always)' for eventless). */
export function allTransitions(): TransitionInfo[] {
  const out: TransitionInfo[] = [];
  for (const node of allStateNodes()) {
    for (const [event, ts] of node.transitions) ts.forEach((t, i) => out.push(info(node, event, i, t.target)));
    (node.always ?? []).forEach((t, i) => out.push(info(node, '(always)', i, t.target)));
  }
  return out;
}

function info(node: AnyStateNode, event: string, i: number, target: readonly AnyStateNode[] | undefined): TransitionInfo {
  const targets = (target ?? []).map((n) => n.id);
  return { key: `${node.id} ${event}#${i} → ${targets.length ? targets.join(',') : '(self)'}`, source: node.id, event, targets };
}

interface InvokeRef {
  id: string;
  src: string;
}
const invokesOf = (node: AnyStateNode): InvokeRef[] => node.invoke.map((d) => ({ id: d.id, src: typeof d.src === 'string' ? d.src : String(d.src) }));

/** Every invoked src must have an outcome catalogue, and every outcome's src must exist. */
export function checkCatalog(): string[] {
  const srcs = new Set(allStateNodes().flatMap((n) => invokesOf(n).map((i) => i.src)));
  const problems: string[] = [];
  for (const src of srcs) if (!OUTCOMES[src]) problems.push(`no OUTCOMES for invoked actor ${src}`);
  for (const src of Object.keys(OUTCOMES)) if (!srcs.has(src)) problems.push(`OUTCOMES.${src} is not invoked anywhere`);
  return problems;
}

/** `xstate.done.actor.<id>` → the src and outcome. */
interface EnvEvent extends Ev {
  type: string;
  output?: unknown;
  error?: unknown;
  /** For the replay and the labels: not read by the machine. */
  meta?: { src: string; outcome: string };
}

const srcByInvokeId = new Map(allStateNodes().flatMap((n) => invokesOf(n).map((i) => [i.id, i.src] as const)));

export function eventsFor(variant: Variant) {
  return (s: Snap): Ev[] => {
    const all = eventsUnfiltered(variant, s);
    // Storage and WebCrypto settle before the person can type anything: while one runs, only it can answer.
    return hasAutomaticInvoke(s) ? all.filter((e) => isAuto(e)) : all;
  };
}

function eventsUnfiltered(variant: Variant, s: Snap): Ev[] {
  {
    const out: Ev[] = [];
    const nodes = (s as unknown as { _nodes: AnyStateNode[] })._nodes;
    for (const node of nodes) {
      for (const inv of invokesOf(node)) {
        for (const o of OUTCOMES[inv.src] ?? []) {
          if (o.when && !o.when(s, variant)) continue;
          const meta = { src: inv.src, outcome: o.label };
          out.push(o.kind === 'done'
            ? { type: `xstate.done.actor.${inv.id}`, output: o.value(variant), meta }
            : { type: `xstate.error.actor.${inv.id}`, error: o.value(variant), meta });
        }
      }
      for (const t of node.after) out.push({ type: t.eventType });
    }
    // User events the active states handle; events only the root handles (reportNotLoggedIn) only when idle.
    for (const e of USER_EVENTS) {
      const handled = nodes.some((n) => n.transitions.has(e.type));
      const own = nodes.some((n) => n !== cliMachine.root && n.transitions.has(e.type));
      if (handled && (own || s.matches('idle'))) out.push(e as Ev);
    }
    return out;
  }
}

export function eventLabel(e: Ev): string {
  const meta = (e as EnvEvent).meta;
  if (meta) return `${meta.src}: ${meta.outcome}`;
  if (e.type.startsWith('xstate.after.')) return `⏱ ${e.type.slice('xstate.after.'.length)}`;
  if (e.type === 'user.api') return `user.api ${String(e.method)} ${String(e.path)}`;
  return e.type;
}

/** The context bits guards read (plus the stuck poll outcome the environment must keep repeating). */
function abstractContext(s: Snap): string {
  const c = s.context;
  const sess = c.session
    ? `${c.clock.now() >= (c.session.expiresAt ?? Infinity) ? 'expired' : 'fresh'}${c.session.refreshToken && c.knobs.refreshTokens !== 'off' ? '+rt' : ''}`
    : '-';
  const call = c.pendingCall ? `${c.pendingCall.method}${c.pendingCall.retried ? '(retried)' : ''}` : '-';
  // Refresh retries count only inside one refresh (they are reset on entering `refreshing`).
  const retrying = s.matches({ authenticated: 'refreshingTokens' }) || s.matches({ authenticated: 'waitingToRetryRefresh' });
  return [c.metadata ? 'meta' : '', c.dpop ? 'key' : '', `s:${sess}`, `call:${call}`,
    c.revocations.length || c.revocationAttempts ? `rev:${c.revocations.length}/${c.revocationAttempts}` : '',
    retrying && c.refreshRetries ? `rr:${c.refreshRetries}` : '',
    stuck(s) ? `poll:${pollKind(s)}` : ''].filter(Boolean).join(' ');
}

export const serializeByValue = (s: Snap) => `${JSON.stringify(s.value)} ${abstractContext(s)}`;
/** The vertex is the state AND the edge that led to it (event and source state), so shortest paths cover every edge. */
export const serializeWithEdge = (s: Snap, e: Ev | undefined, prev?: Snap) =>
  `${serializeByValue(s)} ⟵ ${e ? eventLabel(e) : 'start'}${prev ? ` from ${JSON.stringify(prev.value)}` : ''}`;

/** The real machine with transition errors caught and recorded (pruned from the graph). */
function guardedLogic(crashes: Map<string, string>) {
  const logic = Object.create(cliMachine) as typeof cliMachine;
  Object.defineProperty(logic, 'transition', {
    value: (s: Snap, e: Ev, scope: unknown) => {
      try {
        const next = (cliMachine.transition as (a: Snap, b: Ev, c: unknown) => Snap)(s, e, scope);
        // A settled promise actor is gone in a real actor; the pure transition keeps a targetless onDone's child.
        const settled = /^xstate\.(done|error)\.actor\.(.*)$/.exec(e.type)?.[2];
        if (settled === undefined || !(settled in next.children)) return next;
        const children = { ...next.children } as Record<string, unknown>;
        delete children[settled];
        return { ...next, children } as Snap;
      } catch (err) {
        crashes.set(`${serializeByValue(s)} + ${eventLabel(e)}`, err instanceof Error ? err.message : String(err));
        return s;
      }
    },
  });
  return logic;
}

export function traversalInput(variant: Variant): CliInput {
  const clock = new VirtualClock();
  return {
    fetch: () => Promise.reject(new Error('traversal does not fetch')),
    clock,
    issuer: variant.issuer ?? SIM_ISSUER,
    apiBaseUrl: SIM_API_BASE,
    storage: { open: () => { throw new Error('traversal does not store'); } },
    knobs: variant.knobs,
    ...(variant.ciIdToken ? { ciIdToken: () => Promise.reject(new Error('traversal mints no ID token')) } : {}),
  };
}

export interface Traversal {
  shortest: ModelPath[];
  simple: ModelPath[];
  crashes: Map<string, string>;
  vertices: number;
  regionCounts: string[];
}

/** Drop paths whose label sequence is a prefix of another path's (TestModel's deduplicatePaths). */
export function dedupe(paths: ModelPath[]): ModelPath[] {
  const seqs = paths.map((p) => ({ p, key: p.steps.slice(1).map((st) => eventLabel(st.event)) }))
    .sort((a, b) => b.key.length - a.key.length);
  const kept: typeof seqs = [];
  for (const cand of seqs) {
    if (!kept.some((k) => cand.key.every((l, i) => k.key[i] === l))) kept.push(cand);
  }
  return kept.map((k) => k.p);
}

const join = (head: ModelPath, tail: ModelPath): ModelPath => ({
  state: tail.state, steps: [...head.steps, ...tail.steps.slice(1)], weight: head.weight + tail.weight,
});

/** Regions for simple paths: where to start (a state the shortest paths reach) and where a path ends. */
const SIMPLE_REGIONS: ReadonlyArray<{ name: string; only?: string; from: (s: Snap) => boolean; inside: (s: Snap) => boolean; events: (e: Ev) => boolean }> = [
  {
    name: 'poll loop',
    from: (s) => s.matches({ signingIn: { awaitingApproval: 'waitingInterval' } }) && !s.context.lastPoll,
    inside: (s) => s.matches('signingIn'),
    events: (e) => !e.type.startsWith('user.') && !/approved, short-lived|garbage/.test(eventLabel(e)),
  },
  {
    name: 'logout with retries',
    only: 'defaults',
    from: (s) => s.matches({ authenticated: 'ready' }) && !!s.context.metadata && abstractContext(s).includes('fresh+rt'),
    inside: (s) => s.matches('loggingOut') || (s.matches({ authenticated: 'ready' }) && !!s.context.session) ,
    events: (e) => e.type === 'user.logout' || /revokeToken|revocationRetry|requestTimeout\.cli\.loggingOut|clearSession: cleared/.test(`${eventLabel(e)} ${e.type}`),
  },
];

export function traverse(variant: Variant): Traversal {
  const crashes = new Map<string, string>();
  const logic = guardedLogic(crashes);
  const input = traversalInput(variant);
  const events = eventsFor(variant);
  // The machine's event type lists only what senders send; the environment's done/error/after events are fed too.
  const shortestAll = getShortestPaths(logic, { input, events: events as never, serializeState: serializeWithEdge as never }) as unknown as ModelPath[];
  const shortest = dedupe(shortestAll);
  const simple: ModelPath[] = [];
  const regionCounts: string[] = [];
  for (const region of SIMPLE_REGIONS) {
    if (region.only && region.only !== variant.name) continue;
    const head = shortestAll.filter((p) => region.from(p.state)).sort((a, b) => a.weight - b.weight)[0];
    if (!head) continue;
    const tails = getSimplePaths(logic, {
      input, fromState: head.state,
      events: ((s: Snap) => events(s).filter(region.events)) as never,
      stopWhen: (s: Snap) => !region.inside(s),
      serializeState: serializeByValue as never,
    }) as unknown as ModelPath[];
    // Parallel edges (503 vs network error vs timeout between the same two states) multiply simple paths; keep one
    // path per distinct sequence of states, then drop prefixes.
    const byStates = new Map<string, ModelPath>();
    for (const tail of tails) {
      const key = tail.steps.map((st) => serializeByValue(st.state)).join(' → ');
      if (!byStates.has(key)) byStates.set(key, tail);
    }
    const kept = dedupe([...byStates.values()]).filter((t) => t.steps.length > 1);
    regionCounts.push(`${region.name}: ${tails.length} simple paths, ${kept.length} distinct state sequences`);
    for (const tail of kept) simple.push(join(head, tail));
  }
  return { shortest, simple, crashes, vertices: shortestAll.length, regionCounts };
}

// ------------------------------------------------------------------------------------------------------------
// Coverage: recorded from the REAL actors' inspection events during replay.

export class Coverage {
  readonly states = new Set<string>();
  readonly transitions = new Set<string>();
  readonly #keyOf = new Map<unknown, string>();

  constructor() {
    for (const node of allStateNodes()) {
      for (const [event, ts] of node.transitions) ts.forEach((t, i) => this.#keyOf.set(t, info(node, event, i, t.target).key));
      (node.always ?? []).forEach((t, i) => this.#keyOf.set(t, info(node, '(always)', i, t.target).key));
    }
  }

  record(ev: InspectionEvent): void {
    if (ev.type !== '@xstate.microstep' && ev.type !== '@xstate.snapshot') return;
    const snap = ev.snapshot as { _nodes?: AnyStateNode[] };
    if (!snap._nodes) return;
    for (const n of snap._nodes) this.states.add(n.id);
    if (ev.type === '@xstate.microstep') {
      for (const t of (ev as { _transitions: unknown[] })._transitions) {
        const key = this.#keyOf.get(t);
        if (key) this.transitions.add(key);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------------------
// Replay.

interface Held {
  exchange: WireExchange;
  release: () => void;
  fail: (err: unknown) => void;
}

const pathOf = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value as object)[0] ?? [];
  return k === undefined ? '' : `${k}.${pathOf(v)}`.replace(/\.$/, '');
};

/** A storage/crypto actor is still running (its child exists) in this snapshot. */
function hasAutomaticInvoke(s: Snap): boolean {
  const nodes = (s as unknown as { _nodes: AnyStateNode[] })._nodes;
  return nodes.some((n) => invokesOf(n).some((i) => AUTOMATIC.has(i.src) && i.id in s.children));
}
const isAuto = (e: Ev) => !!(e as EnvEvent).meta && AUTOMATIC.has((e as EnvEvent).meta!.src);
const metaOf = (e: Ev) => (e as EnvEvent).meta;
const delayName = (e: Ev) => e.type.startsWith('xstate.after.') ? e.type.slice('xstate.after.'.length).split('.')[0]! : undefined;

/** Clock time a login segment spends before its `codeExpiry` step (ms), or undefined when it ends otherwise. */
function plannedLifetimeS(steps: ModelPath['steps'], from: number): number {
  let t = 0;
  for (let j = from; j < steps.length; j++) {
    const e = steps[j]!.event;
    const before = steps[j - 1]!.state;
    const d = delayName(e);
    if (d === 'codeExpiry') return Math.floor(t / 1000) + 1;
    if (d === 'pollInterval') t += before.context.intervalS * 1000;
    else if (d === 'requestTimeout') t += before.context.requestTimeoutMs;
    if (!steps[j]!.state.matches('signingIn')) break;
  }
  return 3600;
}

export async function replayPath(variant: Variant, path: ModelPath, coverage: Coverage): Promise<void> {
  const steps = path.steps;
  const world = await createWorld({
    serverKnobs: { intervalS: 5, codeLifetimeS: 3600, ...variant.serverKnobs }, clientKnobs: variant.knobs,
    ...(variant.ciIdToken ? { host: { kind: 'ci-runner' as const, ciIdToken: true } } : {}),
  });
  const restore: Array<() => void> = [];
  const held: Held[] = [];
  let actor: ReturnType<typeof createActor<typeof cliMachine>> | undefined;
  const observed: string[] = [];
  const enteredAt = new Map<string, number>();
  let activeNodes = new Set<string>();
  try {
    // --- before the process starts: what the store holds (a previous process's login, or a corrupt entry)
    const boot = metaOf(steps[1]!.event)?.outcome;
    if (boot === 'stored session' || boot === 'stored session, access token expired') {
      await loginWithWorldCli(world);
      if (boot === 'stored session, access token expired') {
        const rec = JSON.parse([...world.host.keychain.values()][0]!.content) as { expiresAt: number };
        world.clock.advanceTo(rec.expiresAt);
      }
    } else if (boot === 'corrupt store') {
      world.host.keychain.set(`${KEYCHAIN_SERVICE}/${SIM_ISSUER}`, { content: '{"accessToken": ', createdAt: world.clock.now() });
    }
    world.stop();

    world.wire.setGate((exchange) => exchange.actor !== 'cli' ? Promise.resolve() : new Promise<void>((release, fail) => held.push({ exchange, release, fail })));
    const input: CliInput = {
      fetch: world.wire.fetchFor('cli', ADDRESSES.cli, CLI_USER_AGENT), clock: world.clock, issuer: variant.issuer ?? SIM_ISSUER,
      apiBaseUrl: SIM_API_BASE, storage: world.host, knobs: variant.knobs,
      ...(variant.ciIdToken ? { ciIdToken: (audience: string) => world.ci.mintIdToken(audience) } : {}),
    };
    const a = createActor(cliMachine, {
      clock: world.clock, input,
      inspect: (ev) => {
        if (!actor || ev.actorRef !== actor) return;
        coverage.record(ev);
        if (ev.type === '@xstate.microstep' || ev.type === '@xstate.snapshot') {
          const nodes = (ev.snapshot as unknown as { _nodes: AnyStateNode[] })._nodes;
          const now = new Set(nodes.map((n) => n.id));
          for (const id of now) if (!activeNodes.has(id)) enteredAt.set(id, world.clock.now());
          activeNodes = now;
        }
      },
    });
    actor = a;
    a.on('*', (e) => world.host.apply(e));
    a.subscribe({ next: (s) => observed.push(pathOf(s.value)), error: () => undefined });

    const settle = async () => {
      for (let turn = 0; ; turn++) {
        const children = Object.values(a.getSnapshot().children) as Array<{ getSnapshot(): { status: string } } | undefined>;
        const busy = children.filter((c) => c?.getSnapshot().status === 'active').length;
        if (a.getSnapshot().status !== 'active') return;
        if (world.wire.inFlight() === 0 && busy <= world.wire.hung() + held.length) {
          // Requests of actors that are gone (Ctrl+C, timeout) are abandoned: fail them like a dropped connection.
          while (held.length > busy) held.shift()!.fail(new TypeError('abandoned'));
          if (busy <= world.wire.hung() + held.length) return;
        }
        if (turn > 200_000) throw new Error(`settle: still busy in ${pathOf(a.getSnapshot().value)}`);
        await new Promise<void>((r) => setImmediate(r));
      }
    };

    const describe = (k: number) => steps.slice(0, k + 1).map((s, i) => `${i === k ? '▶ ' : '  '}${eventLabel(s.event)} → ${pathOf(s.state.value)}`).join('\n');
    const verify = (from: number, to: number) => {
      if (a.getSnapshot().status !== 'active') throw new Error(`the real actor crashed: ${String(a.getSnapshot().error)}\n${describe(to)}`);
      const want = steps.slice(from, to + 1).map((s) => pathOf(s.state.value));
      let i = 0;
      for (const got of observed) if (got === want[i]) i++;
      const last = pathOf(a.getSnapshot().value);
      // A path may end in a state whose storage/crypto actor settles by itself: the real actor has moved on.
      const inTransit = to === steps.length - 1 && hasAutomaticInvoke(steps[to]!.state);
      if (i < want.length || (!inTransit && last !== want[want.length - 1])) {
        throw new Error(`[${variant.name}] real state ${last} (saw ${observed.join(' → ')}), path expects ${want.join(' → ')}\n${describe(to)}`);
      }
    };

    // Arrange what a run of automatic steps needs (they settle by themselves), and a timeout for the request that
    // the first non-automatic step after them waits on.
    const prepare = (k: number) => {
      let j = k;
      while (j < steps.length && isAuto(steps[j]!.event)) arrangeAutomatic(world, variant, steps[j]!.event, restore), j++;
      const next = steps[j]?.event;
      if (next && delayName(next) === 'requestTimeout') world.wire.injectFault({ fault: 'timeout', match: (_r, who) => who === 'cli' });
      return j - 1;
    };

    // --- start: booting and its (automatic) store read
    let last = prepare(1);
    a.start();
    await settle();
    verify(0, last);

    for (let k = last + 1; k < steps.length; k = last + 1) {
      const step = steps[k]!;
      const e = step.event;
      const before = steps[k - 1]!.state;
      observed.length = 0;
      if (metaOf(e) && !isAuto(e)) {
        // An HTTP actor's answer: the request is held at the gate.
        const h = held.shift();
        if (!h) throw new Error(`no CLI request is waiting for "${eventLabel(e)}"\n${describe(k)}`);
        last = prepare(k + 1);
        if (metaOf(e)!.src === 'requestDeviceCode') world.idp.as.setKnobs({ codeLifetimeS: plannedLifetimeS(steps, k + 1) });
        await answer(world, a.getSnapshot(), h, metaOf(e)!, restore);
      } else if (delayName(e)) {
        last = prepare(k + 1);
        const name = delayName(e)!;
        const stateId = e.type.slice(`xstate.after.${name}.`.length);
        const delay = (cliMachine.implementations.delays as Record<string, (a: { context: unknown }) => number>)[name]!({ context: a.getSnapshot().context });
        const due = (enteredAt.get(stateId) ?? NaN) + delay;
        const early = world.clock.pending().find((t) => t.due < due);
        if (!Number.isFinite(due)) throw new Error(`timer ${e.type}: state ${stateId} not entered\n${describe(k)}`);
        if (early) throw new Error(`unrealisable: another timer is due at +${early.due - world.clock.now()} ms before ${e.type} at +${due - world.clock.now()} ms\n${describe(k)}`);
        world.clock.advanceTo(due);
      } else {
        // A user event. The traversal's "access token expired" is a clock fact: move the clock past expiry first.
        if ((e.type === 'user.whoami' || e.type === 'user.api') && before.matches('authenticated')) {
          const trav = before.context.session;
          const real = a.getSnapshot().context.session;
          const travExpired = !!trav && before.context.clock.now() >= (trav.expiresAt ?? Infinity);
          if (travExpired && real?.expiresAt !== undefined && world.clock.now() < real.expiresAt) {
            const early = world.clock.pending().find((t) => t.due <= real.expiresAt!);
            if (early) throw new Error(`unrealisable: a timer is pending before the access token expires\n${describe(k)}`);
            world.clock.advanceTo(real.expiresAt);
          }
        }
        last = prepare(k + 1);
        a.send(e as CliEvent);
      }
      await settle();
      for (const undo of restore.splice(0)) undo();
      verify(k, last);
    }
  } finally {
    for (const undo of restore.splice(0)) undo();
    // The world is dropped as it is: its clock never moves again, held requests are never answered. Stopping the
    // actor would abort its requests and (with debug on) the fetch wrapper would log to a stopped actor.
    held.length = 0;
    void actor;
  }
}

/** A previous CLI process logs in for real (world.cli) and leaves its session in the host's keychain. */
async function loginWithWorldCli(world: World): Promise<void> {
  await world.send({ type: 'user.login' });
  const grant = [...world.idp.as.state.deviceGrants.values()][0]!;
  await world.browser.signIn('alice');
  await world.browser.enterCode(grant.userCode);
  await world.browser.decide(grant.userCode, 'approve');
  await world.runUntil(() => world.state() === 'authenticated.ready', 60_000);
  if (world.state() !== 'authenticated.ready') throw new Error(`previous process did not log in: ${world.state()}`);
}

function arrangeAutomatic(world: World, _variant: Variant, e: Ev, restore: Array<() => void>): void {
  const { src, outcome } = metaOf(e)!;
  if (src === 'saveSession' && outcome === 'keyring unavailable') {
    world.host.keyringAvailable = false;
    restore.push(() => void (world.host.keyringAvailable = true));
  } else if (src === 'clearSession' && outcome === 'disk error') {
    // The Host has no fault knob: its storage port fails the next clear like a disk I/O error would.
    const host = world.host;
    const open = host.open.bind(host);
    host.open = (target) => ({ ...open(target), clear: async () => { throw new Error('EIO: i/o error (simulated)'); } });
    restore.push(() => void (host.open = open));
  } else if (src === 'generateProofKey' && outcome === 'crypto failure') {
    // WebCrypto refuses the algorithm (an old runtime): the platform fails, the actor is real.
    const subtle = globalThis.crypto.subtle;
    const original = subtle.generateKey;
    subtle.generateKey = (() => Promise.reject(new DOMException('Algorithm: Unrecognized name', 'NotSupportedError'))) as typeof subtle.generateKey;
    restore.push(() => void (subtle.generateKey = original));
  }
}

/** An intermediary answers the next CLI request in the server's place (a conformant server never sends these). */
function intermediary(world: World, response: () => Response, restore: Array<() => void>): void {
  const idp = world.idp;
  const handle = idp.handle.bind(idp);
  let used = false;
  idp.handle = async (request, meta) => {
    if (!used && meta?.remoteAddress === ADDRESSES.cli) {
      used = true;
      return response();
    }
    return handle(request, meta);
  };
  restore.push(() => void (idp.handle = handle));
}

async function answer(world: World, snap: Snap, h: Held, meta: { src: string; outcome: string }, restore: Array<() => void>): Promise<void> {
  const as = world.idp.as;
  const grant = () => {
    const code = snap.context.device?.device_code;
    const rec = code ? as.state.deviceGrants.get(code) : undefined;
    if (!rec) throw new Error('no pending device grant at the server');
    return rec;
  };
  const bearer = () => (h.exchange.request.headers.find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '').replace(/^\S+\s+/, '');
  const key = `${meta.src}: ${meta.outcome}`;
  switch (key) {
    case 'pollToken: approved':
    case 'pollToken: approved, short-lived':
    case 'pollToken: approved, short-lived, no refresh token': {
      const rec = grant();
      if (meta.outcome.includes('no refresh')) {
        as.setKnobs({ issueRefreshTokens: false });
        restore.push(() => as.setKnobs({ issueRefreshTokens: true }));
      }
      await world.browser.signIn('alice');
      await world.browser.enterCode(rec.userCode);
      await world.browser.decide(rec.userCode, 'approve');
      break;
    }
    case 'pollToken: access_denied': {
      const rec = grant();
      if (rec.status === 'pending') {
        await world.browser.signIn('alice');
        await world.browser.enterCode(rec.userCode);
        await world.browser.decide(rec.userCode, 'deny');
      }
      break;
    }
    case 'pollToken: slow_down':
      grant().forcedSlowDowns = 1;
      break;
    case 'pollToken: expired_token':
      grant().expiresAt = Math.min(grant().expiresAt, world.clock.now());
      break;
    case 'pollToken: invalid_grant': {
      // Forgotten once; a client that keeps polling (unknownPollErrors: keep-polling) hears invalid_grant again.
      const code = snap.context.device?.device_code;
      if (code) as.state.deviceGrants.delete(code);
      break;
    }
    case 'pollToken: garbage from a proxy':
    case 'refreshTokens: garbage from a proxy':
      // A 200 that is not JSON (a captive portal's page). A 5xx page is "try again later" (RetryLaterError), below.
      intermediary(world, () => new Response('<html><body>Sign in to the hotel Wi-Fi</body></html>', { status: 200, headers: { 'content-type': 'text/html' } }), restore);
      break;
    case 'pollToken: 429, no error code':
    case 'refreshTokens: 429, no error code':
      // Exactly what the simulated server's own rate limiter sends (RFC 6585 §4), for this one request.
      intermediary(world, () => retryLaterResponse(429, 1, 'too many requests from this client; retry after 1 seconds'), restore);
      break;
    case 'refreshTokens: 429, Retry-After past the bound':
      intermediary(world, () => retryLaterResponse(429, 3600, 'too many requests from this client; retry after 3600 seconds'), restore);
      break;
    case 'refreshTokens: 500 server_error':
      intermediary(world, () => new Response(JSON.stringify({ error: 'server_error' }), { status: 500, headers: { 'content-type': 'application/json' } }), restore);
      break;
    case 'refreshTokens: invalid_grant': {
      const rt = snap.context.session?.refreshToken;
      const rec = rt ? as.state.refreshTokens.get(rt) : undefined;
      if (!rec) throw new Error('no refresh token at the server');
      rec.status = 'revoked';
      break;
    }
    case 'refreshTokens: 429 temporarily_unavailable':
    case 'revokeToken: 429':
      // What a busy provider sends (Entra documents temporarily_unavailable at its token endpoint). The simulated
      // server's own rate limit answers differently (RFC 6585 429 / RFC 7009 503 without an OAuth error code).
      intermediary(world, () => new Response(JSON.stringify({ error: 'temporarily_unavailable' }), { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '1' } }), restore);
      break;
    case 'exchangeCiToken: refused':
      // The server stops trusting the CI issuer for this one request: the grant is then unsupported (RFC 6749 §5.2).
      as.setKnobs({ workloadIdentityFederation: false });
      restore.push(() => as.setKnobs({ workloadIdentityFederation: true }));
      break;
    case 'revokeToken: 503 from a proxy':
      intermediary(world, () => new Response('', { status: 503, headers: { 'retry-after': '1' } }), restore);
      break;
    case 'callApi: 401 invalid_token': {
      const rec = as.state.accessTokensByValue.get(bearer());
      if (!rec) throw new Error('the API call carries no token the server issued');
      rec.revokedAt = world.clock.now();
      break;
    }
    default:
      break;
  }
  if (meta.outcome === 'network error') {
    // What wire.injectFault('network-error') throws, for a request already held at the gate.
    h.fail(new TypeError('fetch failed: connection reset (simulated)'));
  } else {
    h.release();
  }
}

