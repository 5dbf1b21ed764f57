/**
 * The CLI machine's implementations, by name: typed context, events and emitted events; the actors (actors.ts);
 * named delays computed from context; guards as predicates; actions that assign or emit. machine.ts holds the
 * state chart that refers to them.
 */
import { assign, emit, enqueueActions, setup, type AnyActorRef } from 'xstate';
import { OAuthResponseError, assertSecureUrl, type TokenTypeHint } from '../protocol/client.ts';
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
  type HttpInput,
} from './actors.ts';
import { subprocessLaunch } from './delivery.ts';
import { NetworkError } from './http.ts';
import { intervalAfterSlowDown, intervalAfterTimeout } from './interval.ts';
import { SCOPES } from './knobs.ts';
import { describeOAuthError, instructions, line, loginAgainHint, logoutIncompleteLines } from './messages.ts';
import type { TokenRecord } from './ports.ts';
import { storagePlan } from './storage.ts';
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

export const httpOf = (context: CliContext, self: AnyActorRef): HttpInput => ({
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

export const policyOf = (context: CliContext) => ({ allowInsecureLoopback: context.knobs.allowInsecureLoopback });
export const planOf = (context: CliContext) => storagePlan(context.knobs.storage, context.issuer, context.cliName);

/** XState types named guards and actions with the machine's own events; invoke errors arrive as `error.*` events. */
const errorOf = (event: unknown): unknown => (event as { error?: unknown }).error;

/** One line about why an actor failed: the OAuth error and description, or the validation/network message. */
export function explain(err: unknown): string {
  if (err instanceof OAuthResponseError) return describeOAuthError(err.detail);
  return err instanceof Error ? err.message : String(err);
}

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
  },
  delays: {
    /** RFC 8628 §3.5: wait at least the current interval before every poll. */
    pollInterval: ({ context }) => context.intervalS * 1000,
    /** RFC 8628 §3.2: the codes' lifetime, the client's own deadline. */
    codeExpiry: ({ context }) => (context.device?.expires_in ?? 0) * 1000,
    /** A request without an answer by then is a network timeout. */
    requestTimeout: ({ context }) => context.requestTimeoutMs,
    /** RFC 7009 §2.2.1: `Retry-After` (or a default) before trying a revocation again. */
    revocationRetry: ({ context }) => context.revocationRetryS * 1000,
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
    hasMetadata: ({ context }) => context.metadata !== undefined,
    /** Logout should revoke at the server (knob) and there is a session to revoke. */
    wantsRevocation: ({ context }) => context.session !== undefined && context.knobs.logout === 'revoke',
    isNetworkFailure: ({ event }) => errorOf(event) instanceof NetworkError,
    hasHardDeadline: ({ context }) => context.knobs.hardDeadline,
    receivedTokens: ({ context }) => context.lastPoll?.kind === 'tokens',
    isPending: ({ context }) => context.lastPoll?.kind === 'pending',
    isSlowDown: ({ context }) => context.lastPoll?.kind === 'slow_down',
    treatsSlowDownAsFatal: ({ context }) => context.knobs.slowDown === 'fatal',
    isDenied: ({ context }) => context.lastPoll?.kind === 'denied',
    isExpired: ({ context }) => context.lastPoll?.kind === 'expired',
    keepsPollingAfterDenialOrExpiry: ({ context }) => !context.knobs.stopOnDenialOrExpiry,
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
  },
  actions: {
    forwardDebugLine: emit(({ event }) => ({ type: 'cli.debug' as const, text: event.type === 'http.debug' ? event.line : '' })),
    beginLogin: assign(({ context, event }) => {
      const extra = event.type === 'user.login' ? (event.scopes ?? []) : [];
      return {
        requestedScopes: [...new Set([...SCOPES[context.knobs.scopes], ...extra])],
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
      if (context.device.verification_uri_complete) enqueue.emit({ type: 'cli.qr', uri: context.device.verification_uri_complete });
    }),
    slowDown: assign({
      intervalS: ({ context }) =>
        intervalAfterSlowDown(
          context.knobs.slowDown,
          context.intervalS,
          context.lastPoll?.kind === 'slow_down' ? context.lastPoll.error.interval : undefined,
        ),
    }),
    backOff: assign({ intervalS: ({ context }) => intervalAfterTimeout(context.intervalS, context.backoffCapS) }),
    reportNetworkRetry: emit(({ context }) => line('info', `Network problem; trying again in ${context.intervalS} s.`)),
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
    reportLoggedIn: emit(({ context }) => line('success', `✓ Logged in to ${context.issuer} (scope: ${context.session?.scope ?? ''}).`)),
    reportPollOutcome: emit(({ context }) => {
      const poll = context.lastPoll;
      if (!poll || poll.kind === 'tokens' || poll.kind === 'pending') return line('error', '✗ Login failed.');
      const detail = describeOAuthError(poll.error);
      if (poll.kind === 'denied') return line('error', `✗ Access denied (${detail}). ${loginAgainHint(context.cliName)}`);
      if (poll.kind === 'expired') return line('error', `✗ The code expired (${detail}). ${loginAgainHint(context.cliName)}`);
      return line('error', `✗ Login failed: ${detail}`);
    }),
    reportDeadline: emit(({ context }) =>
      line('error', `✗ The code expired after ${context.device?.expires_in ?? 0} s without approval. ${loginAgainHint(context.cliName)}`),
    ),
    reportFailure: emit(({ context }) => line('error', `✗ ${context.failure ?? 'failed'}`)),
    reportCancelled: emit(() => line('error', '✗ Login cancelled.')),
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
      if (api?.kind === 'ok') enqueue.emit(line('info', api.body));
      else if (api?.kind === 'error') enqueue.emit(line('error', `✗ API error ${api.status}${api.error ? ` (${api.error})` : ''}: ${api.body}`));
      else if (api) enqueue.emit(line('error', `✗ API error ${api.status}`));
      enqueue.assign({ pendingCall: undefined });
    }),
    reportInsufficientScope: enqueueActions(({ context, enqueue }) => {
      const api = context.lastApi;
      const scope = api?.kind === 'insufficient_scope' ? api.scope : undefined;
      const needed = scope ? ` --scope ${scope.split(' ').join(' --scope ')}` : '';
      enqueue.emit(line('error', `✗ This command needs more permissions than this session has${scope ? ` (${scope})` : ''}.`));
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
      line('error', `✗ Could not refresh the session (${context.lastRefresh?.ok === false ? describeOAuthError(context.lastRefresh.error) : 'unavailable'}); try again later.`),
    ),
    reportSessionOver: emit(({ context }) => {
      const why = context.lastRefresh?.ok === false ? ` (${describeOAuthError(context.lastRefresh.error)})` : '';
      return line('error', `✗ Your session has ended${why}. ${loginAgainHint(context.cliName)}`);
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
      line('info', `warning: the server refused to revoke the ${context.revocations[0]?.hint.replace('_', ' ') ?? 'token'} (HTTP ${
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
      const unconfirmed: NonNullable<CliContext['unconfirmedRevocations']> = { hints, why };
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
  },
});
