/**
 * The CLI client (actor "C"): one machine for the whole login lifecycle of a command-line tool using the
 * OAuth 2.0 Device Authorization Grant (RFC 8628), then its tokens (RFC 6749 §5-6, RFC 6750, RFC 9449) and
 * logout (RFC 7009).
 *
 *   booting → idle ─user.login→ signingIn { checking → [generatingKey] → [discovering] → requestingCode
 *                                           → awaitingApproval { waitingInterval ⇄ polling → classifying } }
 *           → authenticated { persisting → ready ⇄ callingApi → calledApi, refreshing → refreshed }
 *           ─user.logout→ loggingOut { revoking ⇄ waitingToRetry, clearing } → loggedOut
 *   terminal outcomes: denied, expired, failed, cancelled, reauthRequired, loggedOut. Each accepts a new
 *   user.login (RFC 8628 §3.5 MAY) and none restarts by itself (§3.5 SHOULD wait for the user; §3.1).
 *
 * All HTTP goes through the injected fetch (actors.ts), all waiting through named delays on the actor's clock,
 * and everything the world sees is emitted (types.ts `CliEmitted`).
 */
import { and, assign, emit, enqueueActions, not, type AnyActorRef } from 'xstate';
import { initialInterval } from './interval.ts';
import { resolveClientKnobs } from './knobs.ts';
import { line, savedLines } from './messages.ts';
import { cliSetup, explain, httpOf, dpopOf, needsRecord, planOf, policyOf } from './setup.ts';
import { describeTarget } from './storage.ts';
import type { CliContext } from './types.ts';
import { CLI_NAME, DEFAULT_BACKOFF_CAP_S, DEFAULT_CLIENT_ID, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_REVOCATION_RETRY_S } from './types.ts';

/** RFC 8414 discovery input: the same wherever a step finds it has no endpoints yet (login, refresh, logout). */
const discoveryInput = ({ context, self }: { context: CliContext; self: AnyActorRef }) =>
  ({ http: httpOf(context, self), issuer: context.issuer, policy: policyOf(context) });

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
    cliName: input.cliName ?? CLI_NAME,
    apiBaseUrl: input.apiBaseUrl,
    knobs: resolveClientKnobs(input.knobs),
    requestTimeoutMs: input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    backoffCapS: input.backoffCapS ?? DEFAULT_BACKOFF_CAP_S,
    requestedScopes: [],
    intervalS: 0,
    revocations: [],
    revocationAttempts: 0,
    revocationRetryS: DEFAULT_REVOCATION_RETRY_S,
  }),
  initial: 'booting',
  on: {
    'http.debug': { actions: 'forwardDebugLine' },
    'user.api': { actions: 'reportNotLoggedIn' },
    'user.whoami': { actions: 'reportNotLoggedIn' },
    'user.token': { actions: 'reportNotLoggedIn' },
    'user.logout': { actions: 'reportNotLoggedIn' },
  },
  states: {
    /** Read the store once; no network (RFC 8628 §3.1: nothing is requested until the user asks). */
    booting: {
      invoke: {
        src: 'loadSession',
        input: ({ context }) => ({ host: context.storage, plan: planOf(context) }),
        onDone: [
          {
            // A DPoP-bound session is useless without its key, which lives only in the process that logged in.
            guard: ({ context, event }) => event.output !== undefined && event.output.issuer === context.issuer && event.output.tokenType !== 'DPoP',
            target: 'authenticated',
            actions: assign({ session: ({ event }) => event.output }),
          },
          { target: 'idle' },
        ],
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
            { guard: 'needsProofKey', target: 'generatingKey' },
            { guard: 'hasMetadata', target: 'requestingCode' },
            { target: 'discovering' },
          ],
        },
        generatingKey: {
          invoke: {
            src: 'generateProofKey',
            onDone: { target: 'checking', actions: assign({ dpop: ({ event }) => ({ key: event.output }) }) },
            onError: { target: '#cli.failed', actions: [assign({ failure: ({ event }) => explain(event.error) }), 'reportFailure'] },
          },
        },
        discovering: {
          invoke: {
            src: 'discoverMetadata',
            input: discoveryInput,
            onDone: { target: 'requestingCode', actions: assign({ metadata: ({ event }) => event.output }) },
            onError: {
              target: '#cli.failed',
              actions: [assign({ failure: ({ event }) => `Could not read the server's metadata: ${explain(event.error)}` }), 'reportFailure'],
            },
          },
          after: {
            requestTimeout: {
              target: '#cli.failed',
              actions: [assign({ failure: 'The authorization server did not answer (timeout).' }), 'reportFailure'],
            },
          },
        },
        requestingCode: {
          invoke: {
            src: 'requestDeviceCode',
            input: ({ context, self }) => ({
              http: httpOf(context, self),
              endpoint: context.metadata!.device_authorization_endpoint,
              clientId: context.clientId,
              scopes: context.requestedScopes,
            }),
            onDone: {
              target: 'awaitingApproval',
              actions: assign(({ context, event }) => ({
                device: event.output,
                intervalS: initialInterval(context.knobs.pollInterval, event.output.interval),
              })),
            },
            onError: {
              target: '#cli.failed',
              actions: [assign({ failure: ({ event }) => `Could not start the login: ${explain(event.error)}` }), 'reportFailure'],
            },
          },
          after: {
            requestTimeout: {
              target: '#cli.failed',
              actions: [assign({ failure: 'The authorization server did not answer (timeout).' }), 'reportFailure'],
            },
          },
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
                    clientId: context.clientId,
                    deviceCode: context.device!.device_code,
                  };
                  return dpop ? { ...base, dpop } : base;
                },
                onDone: {
                  target: 'classifying',
                  actions: assign(({ context, event }) => ({
                    lastPoll: event.output.outcome,
                    dpop: context.dpop && { ...context.dpop, asNonce: event.output.nonce ?? context.dpop.asNonce },
                  })),
                },
                onError: [
                  { guard: 'isNetworkFailure', target: 'waitingInterval', actions: ['backOff', 'reportNetworkRetry'] },
                  { target: '#cli.failed', actions: [assign({ failure: ({ event }) => `Login failed: ${explain(event.error)}` }), 'reportFailure'] },
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
            onDone: {
              target: 'resuming',
              actions: enqueueActions(({ event, enqueue }) => {
                enqueue.emit({ type: 'cli.store', action: 'save', target: event.output.target, ...(event.output.fellBack ? { fellBack: true } : {}) });
                for (const out of savedLines(event.output)) enqueue.emit(out);
              }),
            },
            onError: {
              target: 'resuming',
              actions: emit(({ context, event }) =>
                line('error', `✗ Credentials were NOT saved to ${describeTarget(planOf(context).primary)}: ${explain(event.error)}. They stay in memory for this session only.`),
              ),
            },
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
          },
        },
        callingApi: {
          entry: 'announceSubprocess',
          on: { 'user.cancel': { target: 'ready', actions: [assign({ pendingCall: undefined }), emit(line('error', '✗ Cancelled.'))] } },
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
            onDone: {
              target: 'calledApi',
              actions: assign(({ context, event }) => ({
                lastApi: event.output.outcome,
                dpop: context.dpop && { ...context.dpop, rsNonce: event.output.nonce ?? context.dpop.rsNonce },
              })),
            },
            onError: {
              target: 'ready',
              actions: [assign({ failure: ({ event }) => explain(event.error), pendingCall: undefined }), 'reportFailure'],
            },
          },
          after: {
            requestTimeout: {
              target: 'ready',
              actions: [assign({ failure: 'The API did not answer (timeout).', pendingCall: undefined }), 'reportFailure'],
            },
          },
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
          always: [{ guard: 'hasMetadata', target: 'refreshingTokens' }, { target: 'discoveringForRefresh' }],
        },
        discoveringForRefresh: {
          invoke: {
            src: 'discoverMetadata',
            input: discoveryInput,
            onDone: { target: 'refreshingTokens', actions: assign({ metadata: ({ event }) => event.output }) },
            onError: {
              target: 'ready',
              actions: [assign({ failure: ({ event }) => `Could not read the server's metadata: ${explain(event.error)}`, pendingCall: undefined }), 'reportFailure'],
            },
          },
          after: {
            requestTimeout: {
              target: 'ready',
              actions: [assign({ failure: 'The authorization server did not answer (timeout).', pendingCall: undefined }), 'reportFailure'],
            },
          },
        },
        refreshingTokens: {
          invoke: {
            src: 'refreshTokens',
            input: ({ context, self }) => {
              const dpop = dpopOf(context, context.dpop?.asNonce);
              const base = {
                http: httpOf(context, self),
                endpoint: context.metadata!.token_endpoint,
                clientId: context.clientId,
                refreshToken: needsRecord(context).refreshToken!,
              };
              return dpop ? { ...base, dpop } : base;
            },
            onDone: {
              target: 'refreshed',
              actions: assign(({ context, event }) => ({
                lastRefresh: event.output.result,
                dpop: context.dpop && { ...context.dpop, asNonce: event.output.nonce ?? context.dpop.asNonce },
              })),
            },
            onError: [
              {
                guard: 'isNetworkFailure',
                target: 'ready',
                actions: [assign({ failure: ({ event }) => `Could not refresh the session: ${explain(event.error)}`, pendingCall: undefined }), 'reportFailure'],
              },
              {
                target: '#cli.reauthRequired',
                actions: [assign({ failure: ({ event }) => `The refreshed tokens were unusable: ${explain(event.error)}` }), 'reportFailure', 'reportSessionOver'],
              },
            ],
          },
          after: {
            requestTimeout: {
              target: 'ready',
              actions: [assign({ failure: 'The authorization server did not answer (timeout).', pendingCall: undefined }), 'reportFailure'],
            },
          },
        },
        refreshed: {
          always: [
            { guard: 'refreshSucceeded', target: 'persisting', actions: 'acceptRefreshedTokens' },
            { guard: 'refreshUnavailable', target: 'ready', actions: ['reportRefreshUnavailable', assign({ pendingCall: undefined })] },
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
        discovering: {
          invoke: {
            src: 'discoverMetadata',
            input: discoveryInput,
            onDone: { target: 'planning', actions: assign({ metadata: ({ event }) => event.output }) },
            // Without the endpoint nothing can be revoked: delete the local copy anyway and say what may still work.
            onError: { target: 'clearing', actions: 'abandonRevocations' },
          },
          after: { requestTimeout: { target: 'clearing', actions: 'abandonRevocations' } },
        },
        planning: { entry: ['planRevocations', 'warnNoRevocation'], always: 'next' },
        next: { always: [{ guard: 'hasRevocationsQueued', target: 'revoking' }, { target: 'clearing' }] },
        revoking: {
          invoke: {
            src: 'revokeToken',
            input: ({ context, self }) => ({
              http: httpOf(context, self),
              endpoint: context.metadata!.revocation_endpoint!,
              clientId: context.clientId,
              token: context.revocations[0]!.token,
              hint: context.revocations[0]!.hint,
              policy: policyOf(context),
            }),
            onDone: { target: 'revoked', actions: assign({ lastRevocation: ({ event }) => event.output }) },
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
            onDone: {
              target: '#cli.loggedOut',
              actions: [
                enqueueActions(({ event, enqueue }) => {
                  for (const target of event.output) enqueue.emit({ type: 'cli.store', action: 'clear', target });
                }),
                'forgetSession',
              ],
            },
            onError: {
              target: '#cli.loggedOut',
              actions: [assign({ failure: ({ event }) => `Could not delete the stored credentials: ${explain(event.error)}` }), 'reportFailure', 'forgetSession'],
            },
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
        onDone: {
          actions: enqueueActions(({ event, enqueue }) => {
            for (const target of event.output) enqueue.emit({ type: 'cli.store', action: 'clear', target });
          }),
        },
      },
      on: startLogin,
    },
  },
});

export type CliMachine = typeof cliMachine;
