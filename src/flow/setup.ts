/**
 * The CLI machine's implementations, by name: typed context, events and emitted events; the actors (actors.ts);
 * named delays computed from context; guards as predicates; actions that assign or emit. machine.ts holds the
 * state chart that refers to them.
 */
import { assign, emit, enqueueActions, setup, type AnyActorLogic, type AnyActorRef, type OutputFrom } from 'xstate';
import { OAuthResponseError, RetryLaterError, assertSecureUrl, type TokenEndpointResult, type TokenTypeHint } from '../protocol/client.ts';
import {
  callApi,
  clearSession,
  discoverMetadata,
  generateProofKey,
  loadSession,
  pollToken,
  refreshTokens,
  requestDeviceCode,
  revokeToken,
  saveSession,
  type DpopInput,
} from './actors.ts';
import { subprocessLaunch } from './delivery.ts';
import { exchangeCiToken } from './workloadIdentity.ts';
import { NetworkError, type HttpOptions } from './http.ts';
import {
  codeDeadlineS,
  initialInterval,
  intervalAfterRetryLater,
  intervalAfterSlowDown,
  intervalAfterTimeout,
  MAX_POLL_INTERVAL_S,
  MAX_REFRESH_RETRIES,
  MAX_RETRY_AFTER_S,
  refreshRetryDelayMs,
  retryAfterMs,
} from './interval.ts';
import { SCOPES } from './knobs.ts';
import {
  describeOAuthError,
  formatDuration,
  instructions,
  intervalClampNotice,
  line,
  loginAgainHint,
  logoutIncompleteLines,
  refreshGaveUpLine,
  retryLaterLines,
  savedLines,
} from './messages.ts';
import { neutralizeControls, terminalText } from './redact.ts';
import type { TokenRecord } from './ports.ts';
import { describeTarget, storagePlan } from './storage.ts';
import {
  DEFAULT_REVOCATION_RETRY_S,
  MAX_REVOCATION_ATTEMPTS,
  refreshDueAt,
  type CliContext,
  type CliEmitted,
  type CliEvent,
  type CliInput,
  type HttpMethod,
} from './types.ts';


/** RFC 8628 §3.5's poll error names (what a client that knows only the RFC recognises). */
const RFC8628_POLL_ERRORS = new Set(['authorization_pending', 'slow_down', 'access_denied', 'expired_token']);
export const httpOf = (context: CliContext, self: AnyActorRef): HttpOptions => ({
  fetch: context.fetch,
  debug: context.knobs.debug,
  redaction: context.knobs.redaction,
  log: (text) => self.send({ type: 'http.debug', line: text }),
});

export const dpopOf = (context: CliContext, nonce: string | undefined): DpopInput | undefined => {
  if (!context.knobs.dpop || !context.dpop) return undefined;
  const base = { key: context.dpop.key, now: () => context.clock.now() };
  return nonce === undefined ? base : { ...base, nonce };
};

/** `clientId`, and `clientSecret` for a confidential client, as the HTTP actors take them. */
export const clientOf = (context: CliContext): { clientId: string; clientSecret?: string } =>
  context.clientSecret ? { clientId: context.clientId, clientSecret: context.clientSecret } : { clientId: context.clientId };

export const policyOf = (context: CliContext) =>
  context.allowInsecureHttp ? { allowInsecureLoopback: context.knobs.allowInsecureLoopback, allowInsecure: true } : { allowInsecureLoopback: context.knobs.allowInsecureLoopback };
export const planOf = (context: CliContext) => storagePlan(context.knobs.storage, context.issuer, context.cliName);

/** XState types named guards and actions with the machine's own events; invoke errors arrive as `error.*` events. */
const errorOf = (event: unknown): unknown => (event as { error?: unknown }).error;
/** The output on the done event of an invoked actor `A` (same reason: named actions see only the machine's own events). */
const outputOf = <A extends AnyActorLogic>(event: unknown): OutputFrom<A> => (event as { output: OutputFrom<A> }).output;

/**
 * Why a step failed, for `noteFailure`: a fixed `message`, or `prefix` followed by the invoke error explained
 * (`explain`; `prefix: ''` for the error alone). `dropCall` also drops the pending API command.
 */
export type FailureNote = ({ message: string } | { prefix: string }) & { dropCall?: true };

/** The server's "try again later" on this error event, with its Retry-After as a wait on the world's clock (ms). */
function retryLaterOf(context: CliContext, event: unknown): { status: number; waitMs: number | undefined } | undefined {
  const err = errorOf(event);
  if (!(err instanceof RetryLaterError)) return undefined;
  return { status: err.status, waitMs: retryAfterMs(err.retryAfter, context.clock.now()) };
}

/** One line about why an actor failed: the OAuth error and description, or the validation/network message. */
export function explain(err: unknown): string {
  if (err instanceof OAuthResponseError) return describeOAuthError(err.detail);
  // Validation and network messages quote what the server sent (a field's value, a URL): no controls in them.
  return neutralizeControls(err instanceof Error ? err.message : String(err));
}

/**
 * The secret values the CLI holds right now (device code, tokens, client secret): none of them may reach the
 * terminal inside server-supplied text (RFC 8628 §3.3, RFC 6749 §10.3-10.4). Only the knobs and commands that
 * print one on purpose (`showDeviceCode`, `auth token`) bypass this.
 */
export function knownSecrets(context: CliContext): Array<string | undefined> {
  const poll = context.lastPoll?.kind === 'tokens' ? context.lastPoll.tokens : undefined;
  const refreshed = context.lastRefresh?.ok === true ? context.lastRefresh.tokens : undefined;
  return [
    context.device?.device_code,
    context.session?.accessToken,
    context.session?.refreshToken,
    poll?.access_token,
    poll?.refresh_token,
    refreshed?.access_token,
    refreshed?.refresh_token,
    context.clientSecret,
    ...context.revocations.map((r) => r.token),
  ];
}

/** A terminal line holding server-supplied text: controls neutralised, the known secrets redacted. */
const say = (context: CliContext, style: Parameters<typeof line>[0], text: string) => line(style, terminalText(text, knownSecrets(context)));

/** Scope tokens safe to paste into a suggested command line: RFC 6749 §3.3 scope characters without shell metacharacters. */
const SHELL_SAFE_SCOPE = /^[A-Za-z0-9._:/@+=-]+$/;

/** `expiresAt` from `expires_in` (RFC 6749 §5.1), and when the response arrived (bounds the early-refresh margin). */
const lifetimeOf = (context: CliContext, expiresInS: number) => {
  const now = context.clock.now();
  return { expiresAt: now + expiresInS * 1000, receivedAt: now };
};

export const needsRecord = (context: CliContext): TokenRecord => {
  if (!context.session) throw new Error('CLI machine: no session in this state');
  return context.session;
};

export const cliSetup = setup({
  types: {
    context: {} as CliContext,
    events: {} as CliEvent,
    input: {} as CliInput,
    emitted: {} as CliEmitted,
  },
  actors: {
    loadSession,
    saveSession,
    clearSession,
    generateProofKey,
    discoverMetadata,
    requestDeviceCode,
    pollToken,
    refreshTokens,
    revokeToken,
    callApi,
    exchangeCiToken,
  },
  delays: {
    /** RFC 8628 §3.5: wait at least the current interval before every poll. */
    pollInterval: ({ context }) => context.intervalS * 1000,
    /** RFC 8628 §3.2: the codes' lifetime, the client's own deadline. */
    codeExpiry: ({ context }) => codeDeadlineS(context.device?.expires_in ?? 0) * 1000,
    /** A request without an answer by then is a network timeout. */
    requestTimeout: ({ context }) => context.requestTimeoutMs,
    /** RFC 7009 §2.2.1: `Retry-After` (or a default) before trying a revocation again. */
    revocationRetry: ({ context }) => context.revocationRetryS * 1000,
    /** After a refresh answered "try again later": its Retry-After, or the back-off (interval.ts). */
    refreshRetry: ({ context }) => context.refreshRetryMs,
  },
  guards: {
    isIssuerInsecure: ({ context }) => {
      try {
        assertSecureUrl('issuer', context.issuer, policyOf(context));
        return false;
      } catch {
        return true;
      }
    },
    needsProofKey: ({ context }) => context.knobs.dpop && !context.dpop,
    /** A CI job that can get an OIDC ID token, and the knob says to use it (workload identity, RFC 8693). */
    usesWorkloadIdentity: ({ context }) => context.knobs.ciAuth === 'workload-identity' && context.ciIdToken !== undefined,
    exchangeSucceeded: ({ event }) => (event as { output?: { ok?: boolean } }).output?.ok === true,
    hasMetadata: ({ context }) => context.metadata !== undefined,
    /** Logout should revoke at the server (knob) and there is a session to revoke. */
    wantsRevocation: ({ context }) => context.session !== undefined && context.knobs.logout === 'revoke',
    isNetworkFailure: ({ event }) => errorOf(event) instanceof NetworkError,
    /** HTTP 429, 503 or a 5xx that is not an OAuth answer (`RetryLaterError`): nothing is known to be wrong with the grant. */
    isRetryLater: ({ event }) => errorOf(event) instanceof RetryLaterError,
    /** A refresh may be tried again: retries left, and a Retry-After (if any) within `MAX_RETRY_AFTER_S`. */
    mayRetryRefresh: ({ context, event }) => {
      const busy = retryLaterOf(context, event);
      return busy !== undefined && context.refreshRetries < MAX_REFRESH_RETRIES && (busy.waitMs ?? 0) <= MAX_RETRY_AFTER_S * 1000;
    },
    hasHardDeadline: ({ context }) => context.knobs.hardDeadline,
    receivedTokens: ({ context }) => context.lastPoll?.kind === 'tokens',
    isPending: ({ context }) => context.lastPoll?.kind === 'pending',
    isSlowDown: ({ context }) => context.lastPoll?.kind === 'slow_down',
    treatsSlowDownAsFatal: ({ context }) => context.knobs.slowDown === 'fatal',
    isDenied: ({ context }) => context.lastPoll?.kind === 'denied',
    isExpired: ({ context }) => context.lastPoll?.kind === 'expired',
    keepsPollingAfterDenialOrExpiry: ({ context }) => !context.knobs.stopOnDenialOrExpiry,
    /** The knob `unknownPollErrors: keep-polling` and an error outside RFC 8628 §3.5's four names. */
    keepsPollingOnUnknownError: ({ context }) => context.knobs.unknownPollErrors === 'keep-polling'
      && context.lastPoll !== undefined && 'error' in context.lastPoll && !RFC8628_POLL_ERRORS.has(context.lastPoll.error.error),
    isAccessTokenExpired: ({ context }) => context.session?.expiresAt !== undefined && context.clock.now() >= context.session.expiresAt,
    /** Early refresh: the access token expires within the margin (types.ts `refreshDueAt`), or already has. */
    isRefreshDue: ({ context }) => {
      const due = context.session && refreshDueAt(context.session);
      return due !== undefined && context.clock.now() >= due;
    },
    hasRefreshToken: ({ context }) => context.knobs.refreshTokens !== 'off' && context.session?.refreshToken !== undefined,
    hasPendingCall: ({ context }) => context.pendingCall !== undefined,
    isFirstAttempt: ({ context }) => context.pendingCall?.retried === false,
    apiRejectedToken: ({ context }) => context.lastApi?.kind === 'invalid_token',
    apiNeedsScope: ({ context }) => context.lastApi?.kind === 'insufficient_scope',
    refreshSucceeded: ({ context }) => context.lastRefresh?.ok === true,
    /** 5xx or `temporarily_unavailable`: the refresh token may still be good; keep it. */
    refreshUnavailable: ({ context }) =>
      context.lastRefresh?.ok === false &&
      (context.lastRefresh.error.status >= 500 || ['temporarily_unavailable', 'server_error'].includes(context.lastRefresh.error.error)),
    hasRevocationsQueued: ({ context }) => context.revocations.length > 0,
    revocationAccepted: ({ context }) => context.lastRevocation?.ok === true,
    revocationRetryable: ({ context }) => context.lastRevocation?.ok === false && context.lastRevocation.status === 503,
    hasRevocationRetriesLeft: ({ context }) => context.revocationAttempts < MAX_REVOCATION_ATTEMPTS,
    /** A stored session for this issuer; a DPoP-bound one is useless without its key, which lives only in the process that logged in. */
    isRestorableSession: ({ context, event }) => {
      const session = outputOf<typeof loadSession>(event);
      return session !== undefined && session.issuer === context.issuer && session.tokenType !== 'DPoP';
    },
  },
  actions: {
    /** Debug lines carry server headers and bodies: no controls; with `redaction` on, no known secret value either. */
    forwardDebugLine: emit(({ context, event }) => {
      const text = event.type === 'http.debug' ? event.line : '';
      return { type: 'cli.debug' as const, text: context.knobs.redaction ? terminalText(text, knownSecrets(context)) : neutralizeControls(text) };
    }),
    beginLogin: assign(({ context, event }) => {
      const extra = event.type === 'user.login' ? (event.scopes ?? []) : [];
      return {
        requestedScopes: [...new Set([...(context.loginScopes ?? SCOPES[context.knobs.scopes]), ...extra])],
        device: undefined,
        lastPoll: undefined,
        failure: undefined,
        dpop: undefined,
        pendingCall: undefined,
      };
    }),
    reportInsecureIssuer: emit(({ context }) =>
      line('error', `✗ Refusing to log in: the issuer ${context.issuer} is not https (RFC 8628 §3.1 requires TLS).`),
    ),
    showInstructions: enqueueActions(({ context, enqueue }) => {
      if (!context.device) return;
      for (const out of instructions(context.device, context.intervalS, context.knobs.showDeviceCode)) enqueue.emit(out);
      // RFC 8628 §3.3.1: a QR code is optional; one whose URI carries controls or a secret is not shown at all.
      const complete = context.device.verification_uri_complete;
      if (complete && terminalText(complete, knownSecrets(context)) === complete) enqueue.emit({ type: 'cli.qr', uri: complete });
    }),
    slowDown: enqueueActions(({ context, enqueue }) => {
      const serverS = context.lastPoll?.kind === 'slow_down' ? context.lastPoll.error.interval : undefined;
      const next = intervalAfterSlowDown(context.knobs.slowDown, context.intervalS, serverS);
      // Said once: when this slow_down's own figure is past the bound and the interval was not at it already.
      if (serverS !== undefined && serverS > MAX_POLL_INTERVAL_S && context.intervalS < MAX_POLL_INTERVAL_S && context.knobs.slowDown === 'add-5') {
        enqueue.emit(intervalClampNotice('slowed polling to', serverS));
      }
      enqueue.assign({ intervalS: next });
    }),
    backOff: assign({ intervalS: ({ context }) => intervalAfterTimeout(context.intervalS, context.backoffCapS) }),
    reportNetworkRetry: emit(({ context }) => line('info', `Network problem; trying again in ${context.intervalS} s.`)),
    /** RFC 8628 §3.5 exp-backoff after a poll answered "try again later": the interval doubles, and is at least Retry-After. */
    backOffAfterRetryLater: enqueueActions(({ context, event, enqueue }) => {
      const busy = retryLaterOf(context, event);
      if (!busy) return;
      const intervalS = intervalAfterRetryLater(context.intervalS, context.backoffCapS, busy.waitMs);
      const asked = busy.waitMs === undefined ? undefined : { ms: busy.waitMs, maxS: MAX_POLL_INTERVAL_S };
      for (const out of retryLaterLines('poll', busy.status, intervalS * 1000, asked)) enqueue.emit(out);
      enqueue.assign({ intervalS });
    }),
    resetRefreshRetries: assign({ refreshRetries: 0 }),
    /** Wait for Retry-After (or back off) and refresh again; the refresh token and the session stay as they are. */
    scheduleRefreshRetry: enqueueActions(({ context, event, enqueue }) => {
      const busy = retryLaterOf(context, event);
      if (!busy) return;
      const waitMs = refreshRetryDelayMs(busy.waitMs, context.refreshRetries);
      for (const out of retryLaterLines('refresh', busy.status, waitMs)) enqueue.emit(out);
      enqueue.assign({ refreshRetries: context.refreshRetries + 1, refreshRetryMs: waitMs });
    }),
    /** No more refresh retries (or the server asked to wait past the bound): keep the session, say so, drop the call. */
    reportRefreshGaveUp: enqueueActions(({ context, event, enqueue }) => {
      const busy = retryLaterOf(context, event);
      const tooLong = busy?.waitMs !== undefined && busy.waitMs > MAX_RETRY_AFTER_S * 1000 ? { ms: busy.waitMs, maxS: MAX_RETRY_AFTER_S } : undefined;
      enqueue.emit(refreshGaveUpLine(busy?.status ?? 0, context.refreshRetries, tooLong));
      enqueue.assign({ pendingCall: undefined, refreshRetries: 0 });
    }),
    /** Take the tokens into the session and drop every other copy (the poll result, the device code). */
    acceptTokens: assign(({ context }) => {
      if (context.lastPoll?.kind !== 'tokens') return {};
      const t = context.lastPoll.tokens;
      const record: TokenRecord = {
        issuer: context.issuer,
        clientId: context.clientId,
        accessToken: t.access_token,
        tokenType: t.token_type,
        scope: t.scope ?? context.requestedScopes.join(' '),
      };
      if (t.expires_in !== undefined) Object.assign(record, lifetimeOf(context, t.expires_in));
      if (t.refresh_token !== undefined && context.knobs.refreshTokens !== 'off') record.refreshToken = t.refresh_token;
      return { session: record, lastPoll: undefined, device: undefined };
    }),
    reportLoggedIn: emit(({ context }) => say(context, 'success', `✓ Logged in to ${context.issuer} (scope: ${context.session?.scope ?? ''}).`)),
    announceWorkloadIdentity: emit(() => line('info', "CI job detected: exchanging this job's OIDC ID token for a short-lived access token (workload identity, RFC 8693); no device login.")),
    /** The exchanged access token becomes the session, in memory only: no refresh token is kept, nothing is stored. */
    acceptExchangedTokens: assign(({ context, event }) => {
      const result = (event as { output?: TokenEndpointResult }).output;
      if (result?.ok !== true) return {};
      const t = result.tokens;
      const record: TokenRecord = {
        issuer: context.issuer, clientId: context.clientId, accessToken: t.access_token, tokenType: t.token_type,
        scope: t.scope ?? context.requestedScopes.join(' '),
      };
      if (t.expires_in !== undefined) Object.assign(record, lifetimeOf(context, t.expires_in));
      return { session: record };
    }),
    reportWorkloadLoggedIn: emit(({ context }) => say(context, 'success', `✓ Authenticated as this CI job (scope: ${context.session?.scope ?? ''}); the token lives in memory only.`)),
    reportExchangeRefused: emit(({ context, event }) => {
      const result = (event as { output?: TokenEndpointResult }).output;
      const detail = result?.ok === false ? describeOAuthError(result.error) : 'no token';
      return say(context, 'error', `✗ The identity provider refused this job's workload identity (${detail}).`);
    }),
    reportPollOutcome: emit(({ context }) => {
      const poll = context.lastPoll;
      if (!poll || poll.kind === 'tokens' || poll.kind === 'pending') return line('error', '✗ Login failed.');
      const detail = describeOAuthError(poll.error);
      if (poll.kind === 'denied') return say(context, 'error', `✗ Access denied (${detail}). ${loginAgainHint(context.cliName)}`);
      if (poll.kind === 'expired') return say(context, 'error', `✗ The code expired (${detail}). ${loginAgainHint(context.cliName)}`);
      return say(context, 'error', `✗ Login failed: ${detail}`);
    }),
    reportDeadline: emit(({ context }) => {
      const expiresInS = context.device?.expires_in ?? 0;
      const deadlineS = codeDeadlineS(expiresInS);
      // Past the CLI's bound the server may still hold the code: say that the CLI stopped waiting, not that it expired.
      return deadlineS < expiresInS
        ? line('error', `✗ Stopped waiting for approval after ${formatDuration(deadlineS)}, this CLI's limit for one code. ${loginAgainHint(context.cliName)}`)
        : line('error', `✗ The code expired after ${expiresInS} s without approval. ${loginAgainHint(context.cliName)}`);
    }),
    reportFailure: emit(({ context }) => say(context, 'error', `✗ ${context.failure ?? 'failed'}`)),
    reportCancelled: emit(() => line('error', '✗ Login cancelled.')),
    reportBooting: emit(() => line('error', 'Still reading the stored session; nothing was done. Try again in a moment.')),
    reportNoRefreshToken: emit(({ context }) =>
      line('error', `✗ This session has no refresh token (the server sent none, or refresh tokens are off). ${loginAgainHint(context.cliName)}`),
    ),
    reportNotLoggedIn: emit(({ context }) => line('error', `Not logged in. Run \`${context.cliName} login\` first.`)),
    reportAlreadyLoggedIn: emit(({ context }) =>
      line('info', `Already logged in to ${context.issuer}. Run \`${context.cliName} logout\` first to log in again.`),
    ),
    queueCall: assign({
      pendingCall: ({ event }) => {
        const call: { method: HttpMethod; path: string } =
          event.type === 'user.api' ? { method: event.method, path: event.path } : { method: 'GET', path: '/api/me' };
        return { ...call, retried: false };
      },
    }),
    markCallRetried: assign({ pendingCall: ({ context }) => context.pendingCall && { ...context.pendingCall, retried: true } }),
    announceSubprocess: emit(({ context }) => {
      const call = context.pendingCall ?? { method: 'GET' as const, path: '/api/me' };
      return subprocessLaunch(context.knobs.tokenDelivery, call, needsRecord(context).accessToken, context.cliName);
    }),
    printApiResult: enqueueActions(({ context, enqueue }) => {
      const api = context.lastApi;
      // The API's body is printed as the API wrote it, line by line, each line neutralised and redacted.
      if (api?.kind === 'ok') for (const text of api.body.split(/\r?\n/)) enqueue.emit(say(context, 'info', text));
      else if (api?.kind === 'error') enqueue.emit(say(context, 'error', `✗ API error ${api.status}${api.error ? ` (${api.error})` : ''}: ${api.body}`));
      else if (api) enqueue.emit(line('error', `✗ API error ${api.status}`));
      enqueue.assign({ pendingCall: undefined });
    }),
    reportInsufficientScope: enqueueActions(({ context, enqueue }) => {
      const api = context.lastApi;
      const scope = api?.kind === 'insufficient_scope' ? api.scope : undefined;
      // The scope comes from the API's challenge: it is suggested as a command only if every token is plain.
      const tokens = scope?.split(' ').filter(Boolean) ?? [];
      const needed = tokens.length > 0 && tokens.every((t) => SHELL_SAFE_SCOPE.test(t)) ? ` --scope ${tokens.join(' --scope ')}` : '';
      enqueue.emit(say(context, 'error', `✗ This command needs more permissions than this session has${scope ? ` (${scope})` : ''}.`));
      enqueue.emit(line('info', `A refresh cannot widen scope. Run \`${context.cliName} logout\` and \`${context.cliName} login${needed}\`.`));
      enqueue.assign({ pendingCall: undefined });
    }),
    printToken: emit(({ context }) => line('info', needsRecord(context).accessToken)),
    acceptRefreshedTokens: assign(({ context }) => {
      const old = needsRecord(context);
      if (context.lastRefresh?.ok !== true) return {};
      const t = context.lastRefresh.tokens;
      // RFC 6749 §6: a new refresh token replaces the old one, which is discarded ('reuse-first' is the F13 mistake).
      const refreshToken = context.knobs.refreshTokens === 'rotate' ? (t.refresh_token ?? old.refreshToken) : old.refreshToken;
      const record: TokenRecord = {
        issuer: old.issuer,
        clientId: old.clientId,
        accessToken: t.access_token,
        tokenType: t.token_type,
        scope: t.scope ?? old.scope,
      };
      if (t.expires_in !== undefined) Object.assign(record, lifetimeOf(context, t.expires_in));
      if (refreshToken !== undefined) record.refreshToken = refreshToken;
      return { session: record, lastRefresh: undefined };
    }),
    reportRefreshUnavailable: emit(({ context }) =>
      say(context, 'error', `✗ Could not refresh the session (${context.lastRefresh?.ok === false ? describeOAuthError(context.lastRefresh.error) : 'unavailable'}); try again later.`),
    ),
    reportSessionOver: emit(({ context }) => {
      const why = context.lastRefresh?.ok === false ? ` (${describeOAuthError(context.lastRefresh.error)})` : '';
      return say(context, 'error', `✗ Your session has ended${why}. ${loginAgainHint(context.cliName)}`);
    }),
    planRevocations: assign(({ context }) => {
      const session = context.session;
      const revocations: CliContext['revocations'] = [];
      if (session && context.knobs.logout === 'revoke' && context.metadata?.revocation_endpoint) {
        // RFC 7009 §2.1: the refresh token first (its revocation cascades), then the access token.
        if (session.refreshToken) revocations.push({ token: session.refreshToken, hint: 'refresh_token' });
        revocations.push({ token: session.accessToken, hint: 'access_token' });
      }
      return { revocations, revocationAttempts: 0 };
    }),
    warnNoRevocation: enqueueActions(({ context, enqueue }) => {
      if (context.knobs.logout === 'revoke' && !context.metadata?.revocation_endpoint) {
        enqueue.emit(line('info', 'warning: the server offers no revocation endpoint; the tokens stay valid until they expire.'));
      }
    }),
    dequeueRevocation: assign({ revocations: ({ context }) => context.revocations.slice(1), revocationAttempts: 0 }),
    scheduleRevocationRetry: assign(({ context }) => ({
      revocationAttempts: context.revocationAttempts + 1,
      revocationRetryS: Math.min(
        (context.lastRevocation?.ok === false ? context.lastRevocation.retryAfterS : undefined) ?? DEFAULT_REVOCATION_RETRY_S,
        300,
      ),
    })),
    reportRevocationRefused: emit(({ context }) =>
      say(context, 'info', `warning: the server refused to revoke the ${context.revocations[0]?.hint.replace('_', ' ') ?? 'token'} (HTTP ${
        context.lastRevocation?.ok === false ? context.lastRevocation.status : '?'
      }${context.lastRevocation?.ok === false && context.lastRevocation.error ? `, ${context.lastRevocation.error}` : ''}).`),
    ),
    /**
     * Logout gives up on the server (metadata unreadable, or a revocation never confirmed after its retries): the
     * tokens not yet revoked are noted, with why, and logout goes on to delete the local copy (RFC 7009 §2.2:
     * the client cannot know whether the server revoked them; deleting it locally is what the person asked for).
     * The rest of the queue is not tried: the server is unavailable, and logout should not hang for each token.
     */
    abandonRevocations: assign(({ context, event }) => {
      const session = context.session;
      const err = errorOf(event);
      const why = event.type.startsWith('xstate.after.')
        ? 'no answer'
        : err !== undefined
          ? `${context.metadata ? '' : "could not read the server's metadata: "}${err instanceof NetworkError ? 'network error' : explain(err)}`
          : context.lastRevocation?.ok === false
            ? `HTTP ${context.lastRevocation.status}`
            : 'no answer';
      const hints: TokenTypeHint[] = context.revocations.length > 0
        ? context.revocations.map((r) => r.hint)
        : [...(session?.refreshToken ? ['refresh_token' as const] : []), ...(session ? ['access_token' as const] : [])];
      // Kept until after the session is forgotten: redact the secrets now, while they are known.
      const unconfirmed: NonNullable<CliContext['unconfirmedRevocations']> = { hints, why: terminalText(why, knownSecrets(context)) };
      if (hints.includes('access_token') && session?.expiresAt !== undefined) unconfirmed.accessTokenExpiresAt = session.expiresAt;
      return { unconfirmedRevocations: unconfirmed, revocations: [], revocationAttempts: 0 };
    }),
    /** The last word of a logout: done, or done locally with what the server never confirmed. */
    reportLoggedOut: enqueueActions(({ context, event, enqueue }) => {
      const unconfirmed = context.unconfirmedRevocations;
      const lines = unconfirmed ? logoutIncompleteLines(unconfirmed, context.clock.now(), context.cliName, context.issuer) : [];
      if (lines.length === 0) {
        enqueue.emit(line('success', '✓ Logged out.'));
      } else {
        // After a failed delete the terminal already said so (reportFailure); do not claim the opposite.
        if (!event.type.startsWith('xstate.error.')) enqueue.emit(line('success', '✓ Logged out on this machine: the stored credentials are deleted.'));
        for (const out of lines) enqueue.emit(out);
      }
      enqueue.assign({ unconfirmedRevocations: undefined });
    }),
    forgetSession: assign({ session: undefined, dpop: undefined, pendingCall: undefined, revocations: [] }),
    /** The invoked actors' results, kept in context for the eventless step that reads them. */
    restoreSession: assign({ session: ({ event }) => outputOf<typeof loadSession>(event) }),
    keepProofKey: assign({ dpop: ({ event }) => ({ key: outputOf<typeof generateProofKey>(event) }) }),
    storeMetadata: assign({ metadata: ({ event }) => outputOf<typeof discoverMetadata>(event) }),
    acceptDeviceCode: assign(({ context, event }) => {
      const device = outputOf<typeof requestDeviceCode>(event);
      return { device, intervalS: initialInterval(context.knobs.pollInterval, device.interval) };
    }),
    notePollResult: assign(({ context, event }) => {
      const result = outputOf<typeof pollToken>(event);
      return { lastPoll: result.outcome, dpop: context.dpop && { ...context.dpop, asNonce: result.nonce ?? context.dpop.asNonce } };
    }),
    noteApiResult: assign(({ context, event }) => {
      const result = outputOf<typeof callApi>(event);
      return { lastApi: result.outcome, dpop: context.dpop && { ...context.dpop, rsNonce: result.nonce ?? context.dpop.rsNonce } };
    }),
    noteRefreshResult: assign(({ context, event }) => {
      const result = outputOf<typeof refreshTokens>(event);
      return { lastRefresh: result.result, dpop: context.dpop && { ...context.dpop, asNonce: result.nonce ?? context.dpop.asNonce } };
    }),
    noteRevocationResult: assign({ lastRevocation: ({ event }) => outputOf<typeof revokeToken>(event) }),
    /** Why the step failed (`FailureNote`), for `reportFailure` to say. */
    noteFailure: assign(({ event }, note: FailureNote) => ({
      failure: 'message' in note ? note.message : `${note.prefix}${explain(errorOf(event))}`,
      ...(note.dropCall ? { pendingCall: undefined } : {}),
    })),
    dropPendingCall: assign({ pendingCall: undefined }),
    reportCallCancelled: emit(line('error', '✗ Cancelled.')),
    reportSaved: enqueueActions(({ event, enqueue }) => {
      const saved = outputOf<typeof saveSession>(event);
      enqueue.emit({ type: 'cli.store', action: 'save', target: saved.target, ...(saved.fellBack ? { fellBack: true } : {}) });
      for (const out of savedLines(saved)) enqueue.emit(out);
    }),
    reportNotSaved: emit(({ context, event }) =>
      line('error', `✗ Credentials were NOT saved to ${describeTarget(planOf(context).primary)}: ${explain(errorOf(event))}. They stay in memory for this session only.`),
    ),
    reportCleared: enqueueActions(({ event, enqueue }) => {
      for (const target of outputOf<typeof clearSession>(event)) enqueue.emit({ type: 'cli.store', action: 'clear', target });
    }),
  },
});
