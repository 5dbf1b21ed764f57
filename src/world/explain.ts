/**
 * Explanation cards for the step-through view: for each HTTP exchange on the wire, what happened, why it
 * matters and which RFC section says so. Derived from the exchange itself (method, path, parameters and the
 * answer), so every step of every flow gets a card without any lab-specific code.
 */
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { readExchange } from './exchangeView.ts';
import type { WireExchange } from './wire.ts';

export interface Explanation {
  title: string;
  what: string;
  why: string;
  /** e.g. 'RFC 8628 §3.5'. */
  rfc: string;
}

const POLL_ERRORS: Record<string, Omit<Explanation, 'title'>> = {
  authorization_pending: {
    what: 'The person has not approved yet, so the server answers authorization_pending.',
    why: 'The CLI keeps polling, but only after waiting the interval again.',
    rfc: 'RFC 8628 §3.5',
  },
  slow_down: {
    what: 'The CLI polled sooner than the current interval allows, so the server answers slow_down.',
    why: 'The CLI must add 5 seconds to its interval for this poll and every later one.',
    rfc: 'RFC 8628 §3.5',
  },
  access_denied: {
    what: 'The person pressed Deny, so the server answers access_denied.',
    why: 'The login is over. A well-behaved CLI stops polling and says so; it does not retry.',
    rfc: 'RFC 8628 §3.5',
  },
  expired_token: {
    what: 'The device code outlived expires_in, so the server answers expired_token.',
    why: 'The CLI stops polling; a new login needs the user to ask again.',
    rfc: 'RFC 8628 §3.5',
  },
  invalid_grant: {
    what: 'The server does not accept this grant: unknown, already used, revoked or issued to someone else.',
    why: 'Any error other than authorization_pending and slow_down ends the polling.',
    rfc: 'RFC 6749 §5.2',
  },
};

/**
 * Which endpoint an exchange went to, when the caller knows it from the metadata (a real provider's paths are its
 * own: `/device/auth`, `/oauth2/v2.0/devicecode`, `/login/oauth/access_token`). Without it, the path decides.
 */
export type EndpointRole = 'discovery' | 'device_authorization' | 'token' | 'revocation';

/** The card for one exchange, or undefined while it is still in flight. */
export function explainExchange(ex: WireExchange, role?: EndpointRole): Explanation | undefined {
  const view = readExchange(ex);
  if (!view.url) return undefined;
  const { path, form: params, status } = view;
  const who = ex.actor === 'cli' ? 'The CLI' : ex.actor === 'attacker' ? 'The attacker' : 'The browser';
  if (ex.fault) {
    return {
      title: 'Network failure',
      what: `${who}'s request to ${path} ${ex.fault === 'timeout' ? 'got no answer in time' : 'failed on the network'}.`,
      why: 'A client must reduce its polling frequency before retrying, for example by doubling the interval.',
      rfc: 'RFC 8628 §3.5',
    };
  }
  if (status === undefined) return undefined;

  if (role === 'discovery' || (!role && (path.endsWith('/.well-known/oauth-authorization-server') || path.endsWith('/.well-known/openid-configuration')))) {
    if (status !== 200) {
      return { title: 'No metadata here', what: `${who} asked for the server's metadata at ${path} and got ${status}.`,
        why: 'Without metadata a CLI tries OpenID discovery next, or needs its endpoints configured by hand.', rfc: 'RFC 8414 §3.2; OpenID Connect Discovery 1.0 §4' };
    }
    return { title: 'Discovery', what: `${who} read the server's metadata.`, why: 'It learns the device authorization, token and revocation endpoints instead of hard-coding them.', rfc: 'RFC 8414 §3; RFC 8628 §4' };
  }
  if (role === 'device_authorization' || (!role && path.endsWith('/device_authorization'))) {
    return status === 200
      ? { title: 'Codes issued', what: `${who} asked for a device code and got a device_code, a user_code, the verification URI, expires_in and interval.`,
          why: 'The device_code is a secret the CLI polls with and never shows; the short user_code is for the person to type in a browser.', rfc: 'RFC 8628 §3.1-3.2' }
      : { title: 'Device authorization refused', what: `The server refused the request (${view.error ?? status}).`, why: 'Errors use the token endpoint error format.', rfc: 'RFC 8628 §3.2; RFC 6749 §5.2' };
  }
  if (role === 'token' || (!role && (path.endsWith('/token') || path.endsWith('/access_token')))) {
    const grant = view.grantType;
    const error = view.error;
    if (grant === DEVICE_CODE_GRANT_TYPE) {
      if (status === 200 && !error) {
        return { title: 'Tokens issued', what: `${who} polled after approval and received an access token${ex.response?.body.includes('refresh_token') ? ' and a refresh token' : ''}.`,
          why: 'From now on the CLI holds a bearer credential: where it keeps it, and who else can read it, is the real risk.', rfc: 'RFC 8628 §3.5; RFC 6749 §5.1' };
      }
      const known = error ? POLL_ERRORS[error] : undefined;
      return { title: `Poll: ${error ?? status}`, ...(known ?? { what: `The server answered ${error ?? status}.`, why: 'Any error other than authorization_pending and slow_down ends the polling.', rfc: 'RFC 8628 §3.5' }) };
    }
    if (grant === 'refresh_token') {
      return status === 200 && !error
        ? { title: 'Refreshed', what: `${who} traded its refresh token for a new access token${ex.response?.body.includes('refresh_token') ? ' and a new refresh token (rotation)' : ''}.`,
            why: 'Short-lived access tokens plus refresh keep a stolen access token useful for minutes, not weeks.', rfc: 'RFC 6749 §6; RFC 9700 §4.14.2' }
        : { title: 'Refresh refused', what: `The server refused the refresh token (${error ?? status}).`, why: 'Revoked, rotated-out or expired refresh tokens stop working; a reused one can revoke the whole family.', rfc: 'RFC 6749 §6; RFC 9700 §4.14.2' };
    }
  }
  if (role === 'revocation' || (!role && path.endsWith('/revoke'))) {
    return { title: 'Revocation', what: `${who} asked the server to revoke a${params.get('token_type_hint') === 'access_token' ? 'n access' : ' refresh'} token (${status}).`,
      why: 'Deleting a local copy is not a revocation: only the server can make a stolen copy useless.', rfc: 'RFC 7009 §2' };
  }
  if (path.includes('/device')) {
    return { title: 'Verification page', what: `${who} used the identity provider's verification page (${path.replace(/^.*\/device/, '/device') || '/device'}).`,
      why: 'The browser step authenticates a person and asks them to approve this device, showing who is asking and for what.', rfc: 'RFC 8628 §3.3, §5.4' };
  }
  if (path.includes('/api/')) {
    const challenge = ex.response?.headers.find(([k]) => k === 'www-authenticate')?.[1];
    const error = challenge ? /error="([^"]+)"/.exec(challenge)?.[1] : undefined;
    return status < 300
      ? { title: 'API call', what: `${who} called ${ex.request.method} ${path} and the API accepted the token.`, why: 'The API checks signature, audience, expiry, revocation and scope on every call.', rfc: 'RFC 6750 §2.1; RFC 9068 §4' }
      : { title: `API refused (${status})`, what: `The API refused ${ex.request.method} ${path}${error ? `: ${error}` : ''}.`,
          why: status === 403 ? 'insufficient_scope: a refresh cannot widen scope; the user must consent to more.' : 'invalid_token: expired, revoked or not meant for this API. A client may refresh once, then must sign in again.',
          rfc: 'RFC 6750 §3.1' };
  }
  return { title: `${ex.request.method} ${path}`, what: `${who} sent ${ex.request.method} ${path} (${status}).`, why: '', rfc: '' };
}
