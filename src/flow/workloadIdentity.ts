/**
 * Workload identity on CI: instead of a person's device login, the CLI asks its CI platform for this job's
 * short-lived OIDC ID token and exchanges it at the token endpoint (RFC 8693 §2.1, as GitHub Actions' OIDC
 * federation with cloud identity providers does). The answer is a short-lived access token for the workload;
 * nothing long-lived is kept (a refresh token, if a server sent one, is dropped: the next job exchanges its own).
 */
import { fromPromise } from 'xstate';
import { processTokenEndpointResponse, tokenExchangeRequest } from '../protocol/client.ts';
import type { WithClient } from './actors.ts';
import { send, type HttpOptions } from './http.ts';

export interface ExchangeCiTokenInput extends WithClient {
  http: HttpOptions;
  endpoint: string;
  /** The job's ID token source (the CI platform), asked for `audience`. */
  idToken: (audience: string) => Promise<string>;
  /** The identity provider's issuer: the audience the ID token must name. */
  audience: string;
  scopes: readonly string[];
}

/** RFC 8693 §2.1-2.2: get the job's ID token, exchange it, and return the token endpoint's answer. */
export const exchangeCiToken = fromPromise(async ({ input, signal }: { input: ExchangeCiTokenInput; signal: AbortSignal }) => {
  const subjectToken = await input.idToken(input.audience);
  const client = input.clientSecret ? { clientId: input.clientId, clientSecret: input.clientSecret } : { clientId: input.clientId };
  const request = tokenExchangeRequest(input.endpoint, client, subjectToken, input.scopes, { signal });
  return processTokenEndpointResponse(await send(input.http, request), { dpopProofSent: false });
});
