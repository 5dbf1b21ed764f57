/**
 * Client identification and authentication at the token, device authorization, revocation and
 * introspection endpoints (RFC 6749 §2.3, §3.2.1; RFC 8628 §3.1, §3.4). Public clients identify with
 * `client_id`; confidential clients authenticate with HTTP Basic or `client_secret` in the body, never both.
 */
import type { FormParams } from '../../protocol/form.ts';
import type { ClientRegistration } from '../registry.ts';

export type ClientAuthResult =
  | { ok: true; client: ClientRegistration; authenticated: boolean }
  | { ok: false; error: 'invalid_request' | 'invalid_client'; description: string; status: number; challenge?: string };

export function authenticateClient(
  clients: readonly ClientRegistration[],
  request: Request,
  params: FormParams,
  realm: string,
): ClientAuthResult {
  const challenge = `Basic realm="${realm}"`;
  const authz = request.headers.get('authorization');
  const bodySecret = params.get('client_secret');
  const bodyId = params.get('client_id');
  const find = (id: string) => clients.find((c) => c.clientId === id);

  if (authz !== null && /^basic /i.test(authz)) {
    if (bodySecret !== undefined) {
      return { ok: false, error: 'invalid_request', status: 400, description: 'use one client authentication method, not Basic and client_secret together' };
    }
    const creds = decodeBasic(authz.slice(6).trim());
    if (!creds) return { ok: false, error: 'invalid_client', status: 401, challenge, description: 'malformed Basic credentials' };
    if (bodyId !== undefined && bodyId !== creds.id) {
      return { ok: false, error: 'invalid_request', status: 400, description: 'client_id in the body does not match the Basic credentials' };
    }
    const client = find(creds.id);
    if (!client || client.tokenEndpointAuthMethod !== 'client_secret_basic' || client.clientSecret !== creds.secret) {
      return { ok: false, error: 'invalid_client', status: 401, challenge, description: 'client authentication failed' };
    }
    return { ok: true, client, authenticated: true };
  }
  if (authz !== null && !/^(bearer|dpop) /i.test(authz)) {
    return { ok: false, error: 'invalid_client', status: 401, challenge, description: 'unsupported Authorization scheme for client authentication' };
  }

  if (bodyId === undefined) return { ok: false, error: 'invalid_request', status: 400, description: 'client_id is required' };
  const client = find(bodyId);
  if (!client) return { ok: false, error: 'invalid_client', status: 400, description: 'unknown client_id' };
  switch (client.tokenEndpointAuthMethod) {
    case 'none':
      if (bodySecret !== undefined) {
        return { ok: false, error: 'invalid_client', status: 401, challenge, description: 'this client is public and must not send a client_secret' };
      }
      return { ok: true, client, authenticated: false };
    case 'client_secret_post':
      if (bodySecret === client.clientSecret) return { ok: true, client, authenticated: true };
      return { ok: false, error: 'invalid_client', status: 401, challenge, description: 'client authentication failed' };
    case 'client_secret_basic':
      if (bodySecret !== undefined && bodySecret === client.clientSecret) return { ok: true, client, authenticated: true };
      return { ok: false, error: 'invalid_client', status: 401, challenge, description: 'this client must authenticate (HTTP Basic)' };
  }
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function decodeBasic(b64: string): { id: string; secret: string } | undefined {
  try {
    const text = atob(b64);
    const i = text.indexOf(':');
    if (i < 0) return undefined;
    return { id: decodeURIComponent(text.slice(0, i).replace(/\+/g, ' ')), secret: decodeURIComponent(text.slice(i + 1).replace(/\+/g, ' ')) };
  } catch {
    return undefined;
  }
}
