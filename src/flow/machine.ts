/**
 * The CLI client (actor "C"): one machine for the whole login lifecycle of a command-line tool using the
 * OAuth 2.0 Device Authorization Grant (RFC 8628), then its tokens (RFC 6749 §5-6, RFC 6750, RFC 9449) and
 * logout (RFC 7009).
 *
 *   booting → idle ─user.login→ signingIn { checking → [generatingKey] → [discovering] → requestingCode
 *                                           (on CI with workload identity: checking → [discovering] → exchangingCiToken → authenticated)
 *                                           → awaitingApproval { waitingInterval ⇄ polling → classifying } }
 *           → authenticated { persisting → ready ⇄ callingApi → calledApi, refreshing [⇄ waitingToRetryRefresh] → refreshed }
 *           ─user.logout→ loggingOut { revoking ⇄ waitingToRetry, clearing } → loggedOut
 *   terminal outcomes: denied, expired, failed, cancelled, reauthRequired, loggedOut. Each accepts a new
 *   user.login (RFC 8628 §3.5 MAY) and none restarts by itself (§3.5 SHOULD wait for the user; §3.1).
 *
 * All HTTP goes through the injected fetch (actors.ts), all waiting through named delays on the actor's clock,
 * and everything the world sees is emitted (types.ts `CliEmitted`).
 */
import { and, not, type AnyActorRef } from 'xstate';
import { resolveClientKnobs } from './knobs.ts';
import { cliSetup, clientOf, httpOf, dpopOf, needsRecord, planOf, policyOf, type FailureNote } from './setup.ts';
import type { CliContext } from './types.ts';
import { CLI_NAME, DEFAULT_BACKOFF_CAP_S, DEFAULT_CLIENT_ID, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_REVOCATION_RETRY_S } from './types.ts';

/** RFC 8414 discovery input: the same wherever a step finds it has no endpoints yet (login, refresh, logout). */
const discoveryInput = ({ context, self }: { context: CliContext; self: AnyActorRef }) =>
  ({ http: httpOf(context, self), issuer: context.issuer, policy: policyOf(context) });

const AS_TIMEOUT = 'The authorization server did not answer (timeout).';

/** A step that failed: note why (setup.ts `noteFailure`), say it, then any `more`, and go to `target`. */
const failTo = <T extends string>(target: T, note: FailureNote, ...more: Array<'reportSessionOver' | 'forgetSession'>) =>
  ({ target, actions: [{ type: 'noteFailure', params: note }, 'reportFailure', ...more] }) as const;

/** A request without an answer within `requestTimeout` fails the step (the default: the authorization server's). */
const timeoutTo = <T extends string>(target: T, note: FailureNote = { message: AS_TIMEOUT }) => ({ requestTimeout: failTo(target, note) }) as const;

/**
 * RFC 8414 discovery wherever a step finds it has no endpoints yet (login, refresh, logout): on success keep the
 * metadata and go on to `next`; an error and a timeout take the step's `failed` transition.
 */
const discovery = <N extends string, F>(next: N, failed: F, timedOut: F = failed) =>
  ({
    invoke: { src: 'discoverMetadata', input: discoveryInput, onDone: { target: next, actions: 'storeMetadata' }, onError: failed },
    after: { requestTimeout: timedOut },
  }) as const;

/** Cancel a pending API command (while it runs, or while a refresh waits to retry). */
const cancelCall = { 'user.cancel': { target: 'ready', actions: ['dropPendingCall', 'reportCallCancelled'] } } as const;

/** Every terminal outcome offers a new login, and only on the user's word (RFC 8628 §3.5). */
const startLogin = { 'user.login': { target: '#cli.signingIn', actions: 'beginLogin' } } as const;

/**
 * An API command: refresh first when the access token expires within the early-refresh margin (types.ts
 * `refreshDueAt`) or already has; without a refresh token, use it until it has expired, then log in again.
 */
const startCall = [
  { guard: and(['isRefreshDue', 'hasRefreshToken']), target: '#cli.authenticated.refreshing', actions: 'queueCall' },
  { guard: 'isAccessTokenExpired', target: '#cli.reauthRequired', actions: 'reportSessionOver' },
  { target: '#cli.authenticated.callingApi', actions: 'queueCall' },
] as const;

export const cliMachine = cliSetup.createMachine({
  id: 'cli',
  context: ({ input }) => ({
    fetch: input.fetch,
    clock: input.clock,
    storage: input.storage,
    issuer: input.issuer,
    clientId: input.clientId ?? DEFAULT_CLIENT_ID,
    ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
    ...(input.metadata ? { metadata: input.metadata } : {}),
    ...(input.loginScopes ? { loginScopes: input.loginScopes } : {}),
    ...(input.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    cliName: input.cliName ?? CLI_NAME,
    apiBaseUrl: input.apiBaseUrl,
    knobs: resolveClientKnobs(input.knobs),
    ...(input.ciIdToken ? { ciIdToken: input.ciIdToken } : {}),
    requestTimeoutMs: input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    backoffCapS: input.backoffCapS ?? DEFAULT_BACKOFF_CAP_S,
    requestedScopes: [],
    intervalS: 0,
    revocations: [],
    revocationAttempts: 0,
    revocationRetryS: DEFAULT_REVOCATION_RETRY_S,
    refreshRetries: 0,
    refreshRetryMs: 0,
  }),
  initial: 'booting',
  on: {
    'http.debug': { actions: 'forwardDebugLine' },
    'user.api': { actions: 'reportNotLoggedIn' },
    'user.whoami': { actions: 'reportNotLoggedIn' },
    'user.token': { actions: 'reportNotLoggedIn' },
    'user.logout': { actions: 'reportNotLoggedIn' },
    'user.refresh': { actions: 'reportNotLoggedIn' },
  },
  states: {
    /** Read the store once; no network (RFC 8628 §3.1: nothing is requested until the user asks). */
    booting: {
      // Not "not logged in": the store has not been read yet. A driver should wait (see run.ts, which queues).
      on: { 'user.*': { actions: 'reportBooting' } },
      invoke: {
        src: 'loadSession',
        input: ({ context }) => ({ host: context.storage, plan: planOf(context) }),
        onDone: [{ guard: 'isRestorableSession', target: 'authenticated', actions: 'restoreSession' }, { target: 'idle' }],
        onError: 'idle',
      },
    },
    idle: { on: startLogin },

    signingIn: {
      initial: 'checking',
      on: { 'user.cancel': { target: 'cancelled', actions: 'reportCancelled' } },
      states: {
        checking: {
          always: [
            { guard: 'isIssuerInsecure', target: '#cli.failed', actions: 'reportInsecureIssuer' },
            { guard: and(['usesWorkloadIdentity', 'hasMetadata']), target: 'exchangingCiToken' },
            { guard: 'needsProofKey', target: 'generatingKey' },
            { guard: 'hasMetadata', target: 'requestingCode' },
            { target: 'discovering' },
          ],
        },
        generatingKey: {
          invoke: {
            src: 'generateProofKey',
            onDone: { target: 'checking', actions: 'keepProofKey' },
            onError: failTo('#cli.failed', { prefix: '' }),
          },
        },
        discovering: discovery(
          'checking',
          failTo('#cli.failed', { prefix: "Could not read the server's metadata: " }),
          failTo('#cli.failed', { message: AS_TIMEOUT }),
        ),
        /** Workload identity (CI): exchange the job's OIDC ID token (RFC 8693) instead of a person's device login; store nothing. */
        exchangingCiToken: {
          entry: 'announceWorkloadIdentity',
          invoke: {
            src: 'exchangeCiToken',
            input: ({ context, self }) => ({
              http: httpOf(context, self),
              endpoint: context.metadata!.token_endpoint,
              ...clientOf(context),
              idToken: context.ciIdToken!,
              audience: context.issuer,
              scopes: context.requestedScopes,
            }),
            onDone: [
              { guard: 'exchangeSucceeded', target: '#cli.authenticated.resuming', actions: ['acceptExchangedTokens', 'reportWorkloadLoggedIn'] },
              { target: '#cli.failed', actions: 'reportExchangeRefused' },
            ],
            onError: failTo('#cli.failed', { prefix: 'Workload identity failed: ' }),
          },
          after: timeoutTo('#cli.failed'),
        },
        requestingCode: {
          invoke: {
            src: 'requestDeviceCode',
            input: ({ context, self }) => ({
              http: httpOf(context, self),
              endpoint: context.metadata!.device_authorization_endpoint,
              ...clientOf(context),
              scopes: context.requestedScopes,
            }),
            onDone: { target: 'awaitingApproval', actions: 'acceptDeviceCode' },
            onError: failTo('#cli.failed', { prefix: 'Could not start the login: ' }),
          },
          after: timeoutTo('#cli.failed'),
        },
        /** RFC 8628 §3.3-3.5: show the code, then wait ⇄ poll until an outcome; the local deadline stops it all. */
        awaitingApproval: {
          entry: 'showInstructions',
          initial: 'waitingInterval',
          after: { codeExpiry: { guard: 'hasHardDeadline', target: '#cli.expired', actions: 'reportDeadline' } },
          states: {
            waitingInterval: { after: { pollInterval: 'polling' } },
            polling: {
              invoke: {
                src: 'pollToken',
                input: ({ context, self }) => {
                  const dpop = dpopOf(context, context.dpop?.asNonce);
                  const base = {
                    http: httpOf(context, self),
                    endpoint: context.metadata!.token_endpoint,
                    ...clientOf(context),
                    deviceCode: context.device!.device_code,
                  };
                  return dpop ? { ...base, dpop } : base;
                },
                onDone: { target: 'classifying', actions: 'notePollResult' },
                onError: [
                  { guard: 'isNetworkFailure', target: 'waitingInterval', actions: ['backOff', 'reportNetworkRetry'] },
                  // HTTP 429/503 or a 5xx page: not an answer about the code; back off (RFC 8628 §3.5) and poll again.
                  { guard: 'isRetryLater', target: 'waitingInterval', actions: 'backOffAfterRetryLater' },
                  failTo('#cli.failed', { prefix: 'Login failed: ' }),
                ],
              },
              after: { requestTimeout: { target: 'waitingInterval', actions: ['backOff', 'reportNetworkRetry'] } },
            },
            classifying: {
              always: [
                { guard: 'receivedTokens', target: '#cli.authenticated.persisting', actions: ['acceptTokens', 'reportLoggedIn'] },
                { guard: 'isPending', target: 'waitingInterval' },
                { guard: and(['isSlowDown', 'treatsSlowDownAsFatal']), target: '#cli.failed', actions: 'reportPollOutcome' },
                { guard: 'isSlowDown', target: 'waitingInterval', actions: 'slowDown' },
                { guard: 'keepsPollingOnUnknownError', target: 'waitingInterval' },
                { guard: and(['keepsPollingAfterDenialOrExpiry', 'isDenied']), target: 'waitingInterval' },
                { guard: and(['keepsPollingAfterDenialOrExpiry', 'isExpired']), target: 'waitingInterval' },
                { guard: 'isDenied', target: '#cli.denied', actions: 'reportPollOutcome' },
                { guard: 'isExpired', target: '#cli.expired', actions: 'reportPollOutcome' },
                { target: '#cli.failed', actions: 'reportPollOutcome' },
              ],
            },
          },
        },
      },
    },

    authenticated: {
      initial: 'ready',
      states: {
        persisting: {
          invoke: {
            src: 'saveSession',
            input: ({ context }) => ({ host: context.storage, plan: planOf(context), record: needsRecord(context) }),
            onDone: { target: 'resuming', actions: 'reportSaved' },
            onError: { target: 'resuming', actions: 'reportNotSaved' },
          },
        },
        resuming: {
          always: [{ guard: 'hasPendingCall', target: 'callingApi' }, { target: 'ready' }],
        },
        ready: {
          on: {
            'user.api': startCall,
            'user.whoami': startCall,
            'user.token': { actions: 'printToken' },
            'user.logout': { target: '#cli.loggingOut' },
            'user.login': { actions: 'reportAlreadyLoggedIn' },
            'user.refresh': [{ guard: 'hasRefreshToken', target: 'refreshing' }, { actions: 'reportNoRefreshToken' }],
          },
        },
        callingApi: {
          entry: 'announceSubprocess',
          on: cancelCall,
          invoke: {
            src: 'callApi',
            input: ({ context, self }) => {
              const call = context.pendingCall ?? { method: 'GET' as const, path: '/api/me' };
              const dpop = dpopOf(context, context.dpop?.rsNonce);
              const base = {
                http: httpOf(context, self),
                baseUrl: context.apiBaseUrl,
                path: call.path,
                method: call.method,
                session: needsRecord(context),
                policy: policyOf(context),
              };
              return dpop ? { ...base, dpop } : base;
            },
            onDone: { target: 'calledApi', actions: 'noteApiResult' },
            onError: failTo('ready', { prefix: '', dropCall: true }),
          },
          after: timeoutTo('ready', { message: 'The API did not answer (timeout).', dropCall: true }),
        },
        /** RFC 6750 §3.1: 401 invalid_token → refresh once and retry; again → log in again. 403 → never refresh. */
        calledApi: {
          always: [
            { guard: and(['apiRejectedToken', 'isFirstAttempt', 'hasRefreshToken']), target: 'refreshing', actions: 'markCallRetried' },
            { guard: 'apiRejectedToken', target: '#cli.reauthRequired', actions: 'reportSessionOver' },
            { guard: 'apiNeedsScope', target: 'ready', actions: 'reportInsufficientScope' },
            { target: 'ready', actions: 'printApiResult' },
          ],
        },
        /** A session loaded from the store has no metadata yet: discover the token endpoint first (RFC 8414). */
        refreshing: {
          entry: 'resetRefreshRetries',
          always: [{ guard: 'hasMetadata', target: 'refreshingTokens' }, { target: 'discoveringForRefresh' }],
        },
        discoveringForRefresh: discovery(
          'refreshingTokens',
          failTo('ready', { prefix: "Could not read the server's metadata: ", dropCall: true }),
          failTo('ready', { message: AS_TIMEOUT, dropCall: true }),
        ),
        refreshingTokens: {
          invoke: {
            src: 'refreshTokens',
            input: ({ context, self }) => {
              const dpop = dpopOf(context, context.dpop?.asNonce);
              const base = {
                http: httpOf(context, self),
                endpoint: context.metadata!.token_endpoint,
                ...clientOf(context),
                refreshToken: needsRecord(context).refreshToken!,
              };
              return dpop ? { ...base, dpop } : base;
            },
            onDone: { target: 'refreshed', actions: 'noteRefreshResult' },
            onError: [
              // HTTP 429/503 or a 5xx page: the refresh token is not known to be bad. Wait (Retry-After or back-off)
              // and try again, a bounded number of times; then report it and keep the session.
              { guard: 'mayRetryRefresh', target: 'waitingToRetryRefresh', actions: 'scheduleRefreshRetry' },
              { guard: 'isRetryLater', target: 'ready', actions: 'reportRefreshGaveUp' },
              { guard: 'isNetworkFailure', ...failTo('ready', { prefix: 'Could not refresh the session: ', dropCall: true }) },
              failTo('#cli.reauthRequired', { prefix: 'The refreshed tokens were unusable: ' }, 'reportSessionOver'),
            ],
          },
          after: timeoutTo('ready', { message: AS_TIMEOUT, dropCall: true }),
        },
        waitingToRetryRefresh: {
          on: cancelCall,
          after: { refreshRetry: 'refreshingTokens' },
        },
        refreshed: {
          always: [
            { guard: 'refreshSucceeded', target: 'persisting', actions: 'acceptRefreshedTokens' },
            { guard: 'refreshUnavailable', target: 'ready', actions: ['reportRefreshUnavailable', 'dropPendingCall'] },
            { target: '#cli.reauthRequired', actions: 'reportSessionOver' },
          ],
        },
      },
    },

    /**
     * RFC 7009: revoke the refresh token, then the access token, then clear the store. A 503 or a network failure
     * is retried (Retry-After); when the retries run out the store is cleared all the same, and the person is told
     * which tokens may still be valid at the server and how to revoke them there.
     */
    loggingOut: {
      initial: 'locating',
      states: {
        /** A session loaded from the store has no metadata yet: discover the revocation endpoint first (RFC 8414). */
        locating: { always: [{ guard: and(['wantsRevocation', not('hasMetadata')]), target: 'discovering' }, { target: 'planning' }] },
        // Without the endpoint nothing can be revoked: delete the local copy anyway and say what may still work.
        discovering: discovery('planning', { target: 'clearing', actions: 'abandonRevocations' }),
        planning: { entry: ['planRevocations', 'warnNoRevocation'], always: 'next' },
        next: { always: [{ guard: 'hasRevocationsQueued', target: 'revoking' }, { target: 'clearing' }] },
        revoking: {
          invoke: {
            src: 'revokeToken',
            input: ({ context, self }) => ({
              http: httpOf(context, self),
              endpoint: context.metadata!.revocation_endpoint!,
              ...clientOf(context),
              token: context.revocations[0]!.token,
              hint: context.revocations[0]!.hint,
              policy: policyOf(context),
            }),
            onDone: { target: 'revoked', actions: 'noteRevocationResult' },
            onError: [
              { guard: and(['isNetworkFailure', 'hasRevocationRetriesLeft']), target: 'waitingToRetry', actions: 'scheduleRevocationRetry' },
              // The revocation actor only fails on the network: the tokens may still exist; say so, delete locally.
              { target: 'clearing', actions: 'abandonRevocations' },
            ],
          },
          after: {
            requestTimeout: [
              { guard: 'hasRevocationRetriesLeft', target: 'waitingToRetry', actions: 'scheduleRevocationRetry' },
              { target: 'clearing', actions: 'abandonRevocations' },
            ],
          },
        },
        revoked: {
          always: [
            { guard: 'revocationAccepted', target: 'next', actions: 'dequeueRevocation' },
            { guard: and(['revocationRetryable', 'hasRevocationRetriesLeft']), target: 'waitingToRetry', actions: 'scheduleRevocationRetry' },
            // RFC 7009 §2.2.1: after a 503 the token must be assumed to still exist at the server. The local copy is
            // deleted anyway (§2.2: the client cannot know; logging out is the person's intent), and they are told.
            { guard: 'revocationRetryable', target: 'clearing', actions: 'abandonRevocations' },
            { target: 'next', actions: ['reportRevocationRefused', 'dequeueRevocation'] },
          ],
        },
        waitingToRetry: { after: { revocationRetry: 'revoking' } },
        clearing: {
          invoke: {
            src: 'clearSession',
            input: ({ context }) => ({ host: context.storage, plan: planOf(context) }),
            onDone: { target: '#cli.loggedOut', actions: ['reportCleared', 'forgetSession'] },
            onError: failTo('#cli.loggedOut', { prefix: 'Could not delete the stored credentials: ' }, 'forgetSession'),
          },
        },
      },
    },
    loggedOut: {
      entry: 'reportLoggedOut',
      on: startLogin,
    },

    denied: { on: startLogin },
    expired: { on: startLogin },
    failed: { on: startLogin },
    cancelled: { on: startLogin },
    /** Refresh refused or impossible: the stored tokens are dead, so they are cleared; a new login is up to the user. */
    reauthRequired: {
      entry: 'forgetSession',
      invoke: {
        src: 'clearSession',
        input: ({ context }) => ({ host: context.storage, plan: planOf(context) }),
        onDone: { actions: 'reportCleared' },
      },
      on: startLogin,
    },
  },
});

export type CliMachine = typeof cliMachine;
