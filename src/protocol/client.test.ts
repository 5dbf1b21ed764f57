/**
 * Request builders and response processors of the CLI's protocol layer, without a machine.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  assertSecureUrl,
  classifyPollError,
  deviceAuthorizationRequest,
  deviceCodeGrantRequest,
  discoveryRequest,
  MAX_RESPONSE_BYTES,
  normalizeScope,
  openidDiscoveryRequest,
  OAuthResponseError,
  parseRetryAfter,
  parseWwwAuthenticate,
  processDeviceAuthorizationResponse,
  processDeviceCodeGrantResponse,
  processDiscoveryResponse,
  processProtectedResourceResponse,
  processRevocationResponse,
  processTokenEndpointResponse,
  protectedResourceRequest,
  refreshTokenGrantRequest,
  ResponseValidationError,
  RetryLaterError,
  revocationRequest,
  tokenExchangeRequest,
} from './client.ts';
import { DEVICE_CODE_GRANT_TYPE } from './constants.ts';

const client = { clientId: 'acme-cli' };
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const form = (body: Record<string, string>, status = 200) =>
  new Response(new URLSearchParams(body).toString(), { status, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const device = { device_code: 'dc', user_code: 'WDJB-MJHT', verification_uri: 'https://as.test/device', expires_in: 600 };

async function bodyOf(req: Request) {
  return Object.fromEntries(new URLSearchParams(await req.text()));
}

describe('request builders', () => {
  test('RFC8628-3.1-post-form: deviceAuthorizationRequest is a form POST with client_id and scope, asking for JSON', async () => {
    const req = deviceAuthorizationRequest('https://as.test/device/code', client, ['profile', 'projects:read']);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://as.test/device/code');
    expect(req.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(req.headers.get('accept')).toBe('application/json');
    expect(await req.text()).toBe('client_id=acme-cli&scope=profile+projects%3Aread');
  });

  test('RFC8628-3.1-scope: an empty scope list leaves scope out rather than sending it empty', async () => {
    expect(await deviceAuthorizationRequest('https://as.test/d', client, []).text()).toBe('client_id=acme-cli');
    expect(await deviceAuthorizationRequest('https://as.test/d', client).text()).toBe('client_id=acme-cli');
  });

  test('RFC8628-3.1-no-dup: no builder ever repeats a parameter, whatever the inputs', async () => {
    const text = fc.string({ minLength: 1, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(text, fc.array(text, { maxLength: 5 }), text, async (clientId, scopes, secret) => {
        const c = { clientId };
        for (const req of [
          deviceAuthorizationRequest('https://as.test/d', c, scopes),
          deviceCodeGrantRequest('https://as.test/t', c, secret),
          refreshTokenGrantRequest('https://as.test/t', c, secret),
          revocationRequest('https://as.test/r', c, secret, 'refresh_token'),
        ]) {
          const keys = [...new URLSearchParams(await req.text()).keys()];
          expect(new Set(keys).size).toBe(keys.length);
        }
      }),
      { numRuns: 50 },
    );
  });

  test('RFC8628-3.4-grant_type: the poll carries the exact device_code grant URN, the device_code and client_id', async () => {
    const req = deviceCodeGrantRequest('https://as.test/token', client, 'dc-123');
    expect(req.method).toBe('POST');
    expect(await bodyOf(req)).toEqual({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'dc-123', client_id: 'acme-cli' });
    expect(req.headers.get('dpop')).toBeNull();
    expect(deviceCodeGrantRequest('https://as.test/token', client, 'dc', { dpop: 'proof' }).headers.get('dpop')).toBe('proof');
  });

  test('RFC6749-6-request, RFC6749-6-scope-subset: refresh body is grant_type, refresh_token, client_id and never scope', async () => {
    const req = refreshTokenGrantRequest('https://as.test/token', client, 'rt-1');
    expect(req.method).toBe('POST');
    expect(await req.text()).toBe('grant_type=refresh_token&refresh_token=rt-1&client_id=acme-cli');
  });

  test('RFC7009-2.1-request: revocation is a form POST with token, hint and client_id', async () => {
    const req = revocationRequest('https://as.test/revoke', client, 'rt-1', 'refresh_token');
    expect(req.method).toBe('POST');
    expect(req.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(await req.text()).toBe('token=rt-1&token_type_hint=refresh_token&client_id=acme-cli');
  });

  test('RFC7009-2-https: revocationRequest refuses an http endpoint', () => {
    expect(() => revocationRequest('http://as.test/revoke', client, 'rt', 'refresh_token')).toThrow(
      'revocation_endpoint must be an https URL (RFC 8628 §3.1, RFC 7009 §2), got "http://as.test/revoke"',
    );
  });

  test('RFC6750-2.1-client, RFC6750-2.3-no-query, RFC6750-2-one-method: the token is in the Authorization header only', () => {
    const req = protectedResourceRequest('https://api.test/api/me', 'GET', { accessToken: 'at-1', tokenType: 'Bearer' });
    expect(req.headers.get('authorization')).toBe('Bearer at-1');
    expect(req.url).toBe('https://api.test/api/me');
    expect(req.headers.get('dpop')).toBeNull();
    const dpop = protectedResourceRequest('https://api.test/api/me', 'GET', { accessToken: 'at-1', tokenType: 'DPoP', dpop: 'proof' });
    expect([dpop.headers.get('authorization'), dpop.headers.get('dpop')]).toEqual(['DPoP at-1', 'proof']);
    expect(() => protectedResourceRequest('https://api.test/x', 'GET', { accessToken: 'at', tokenType: 'DPoP' })).toThrow(/needs a DPoP proof/);
  });

  test('every builder gives its Request the abort signal it is handed (a timeout or Ctrl+C aborts the request itself)', () => {
    const controller = new AbortController();
    const opts = { signal: controller.signal };
    const requests = [
      discoveryRequest('https://as.test', {}, opts),
      openidDiscoveryRequest('https://as.test', {}, opts),
      deviceAuthorizationRequest('https://as.test/d', client, [], opts),
      deviceCodeGrantRequest('https://as.test/t', client, 'dc', { dpop: 'proof', ...opts }),
      refreshTokenGrantRequest('https://as.test/t', client, 'rt', opts),
      tokenExchangeRequest('https://as.test/t', client, 'id-token', [], opts),
      revocationRequest('https://as.test/r', client, 'rt', 'refresh_token', {}, opts),
      protectedResourceRequest('https://api.test/x', 'GET', { accessToken: 'at', tokenType: 'Bearer' }, opts),
    ];
    // None follows a redirect: a 307 from the token endpoint would send the same body on to the URL it names.
    expect(requests.map((r) => r.redirect)).toEqual(requests.map(() => 'manual'));
    expect(requests.map((r) => r.signal.aborted)).toEqual(requests.map(() => false));
    controller.abort(new Error('timeout'));
    expect(requests.map((r) => r.signal.aborted)).toEqual(requests.map(() => true));
    // Without one, a request has a signal of its own that nothing aborts.
    expect(deviceCodeGrantRequest('https://as.test/t', client, 'dc').signal.aborted).toBe(false);
  });

  test('discoveryRequest: RFC 8414 §3.1 well-known URL, with the issuer path appended', () => {
    expect(discoveryRequest('https://as.test').url).toBe('https://as.test/.well-known/oauth-authorization-server');
    expect(discoveryRequest('https://as.test/tenant1').url).toBe('https://as.test/.well-known/oauth-authorization-server/tenant1');
  });
});

describe('what a server can send is bounded', () => {
  const endless = () => new Response(new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024).fill(0x41)) }), {
    headers: { 'content-type': 'application/json' },
  });

  test('a token, device or API answer of more than MAX_RESPONSE_BYTES fails as a validation error, however long the server goes on', async () => {
    for (const read of [
      () => processTokenEndpointResponse(endless()),
      () => processDeviceAuthorizationResponse(endless()),
      () => processProtectedResourceResponse(endless()),
    ]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseValidationError);
      expect((error as ResponseValidationError).message).toMatch(`"(body)" must be at most ${MAX_RESPONSE_BYTES} bytes, got "more than ${MAX_RESPONSE_BYTES} bytes sent"`);
    }
    // At the limit exactly, an answer is read.
    const body = JSON.stringify({ access_token: 'a', token_type: 'Bearer', pad: '' });
    const full = JSON.stringify({ access_token: 'a', token_type: 'Bearer', pad: 'x'.repeat(MAX_RESPONSE_BYTES - body.length) });
    expect(new TextEncoder().encode(full).length).toBe(MAX_RESPONSE_BYTES);
    expect((await processTokenEndpointResponse(json(JSON.parse(full)))).ok).toBe(true);
  });
});

describe('a redirect is not an answer', () => {
  test('a token, device or revocation answer that redirects fails the step, naming where it pointed; the request is not sent on', async () => {
    const redirect = (status: number) => new Response(null, { status, headers: { location: 'https://evil.test/t' } });
    for (const status of [301, 302, 303, 307, 308]) {
      await expect(processTokenEndpointResponse(redirect(status))).rejects.toThrow(`"(status)" must be an answer, not a redirect to https://evil.test/t (the CLI does not send its request on), got "HTTP ${status}"`);
      await expect(processDeviceCodeGrantResponse(redirect(status))).rejects.toBeInstanceOf(ResponseValidationError);
      await expect(processDeviceAuthorizationResponse(redirect(status))).rejects.toBeInstanceOf(ResponseValidationError);
      // A long Location is cut at 200 characters; without one, the message says only that it was a redirect.
      const long = new Response(null, { status, headers: { location: `https://evil.test/${'x'.repeat(300)}` } });
      await expect(processTokenEndpointResponse(long)).rejects.toThrow(`redirect to https://evil.test/${'x'.repeat(200 - 'https://evil.test/'.length)}… (the CLI`);
      await expect(processTokenEndpointResponse(new Response(null, { status }))).rejects.toThrow('not a redirect (the CLI does not send its request on), got');
      // Revocation is not confirmed by a redirect.
      expect(await processRevocationResponse(redirect(status))).toEqual({ ok: false, status });
    }
  });
});

describe('transport security', () => {
  test.each([
    ['https://as.test', true, false],
    ['http://as.test', false, false],
    ['http://127.0.0.1:8080', false, true],
    ['http://localhost', false, true],
    ['http://[::1]:9000', false, true],
    ['http://127.0.0.2', false, false],
    ['http://localhost.evil.test', false, false],
    ['ftp://as.test', false, false],
    ['not a url', false, false],
  ])('RFC8628-3.1-tls: %s → allowed %s (with allowInsecureLoopback: %s)', (url, strict, loopback) => {
    const ok = (allowInsecureLoopback: boolean) => {
      try {
        assertSecureUrl('issuer', url, { allowInsecureLoopback });
        return true;
      } catch {
        return false;
      }
    };
    expect([ok(false), ok(true)]).toEqual([strict, strict || loopback]);
  });
});

describe('discovery', () => {
  const meta = { issuer: 'https://as.test', token_endpoint: 'https://as.test/t', device_authorization_endpoint: 'https://as.test/d', revocation_endpoint: 'https://as.test/r' };

  test('RFC8628-4-metadata: the device_authorization_endpoint comes from the metadata; unknown members are ignored', async () => {
    await expect(processDiscoveryResponse('https://as.test', json({ ...meta, jwks_uri: 'x', foo: 1 }))).resolves.toEqual(meta);
  });

  test.each([
    [{ issuer: 'https://other.test' }, 'issuer', 'authorization server metadata: "issuer" must be identical to "https://as.test" (RFC 8414 §3.3), got "https://other.test"'],
    [{ device_authorization_endpoint: undefined }, 'device_authorization_endpoint', 'authorization server metadata: "device_authorization_endpoint" must be a non-empty string (it is missing)'],
    [{ token_endpoint: 'http://as.test/t' }, 'token_endpoint', 'token_endpoint must be an https URL (RFC 8628 §3.1, RFC 7009 §2), got "http://as.test/t"'],
    [{ revocation_endpoint: 'http://as.test/r' }, 'revocation_endpoint', 'revocation_endpoint must be an https URL (RFC 8628 §3.1, RFC 7009 §2), got "http://as.test/r"'],
  ])('bad metadata %j is refused, naming %s', async (patch, _field, message) => {
    await expect(processDiscoveryResponse('https://as.test', json({ ...meta, ...patch }))).rejects.toThrow(message);
  });
});

describe('device authorization response', () => {
  test('RFC8628-3.2-interval: interval is optional; when present it is returned', async () => {
    expect(await processDeviceAuthorizationResponse(json(device))).toEqual(device);
    expect((await processDeviceAuthorizationResponse(json({ ...device, interval: 7 }))).interval).toBe(7);
  });

  test.each(['device_code', 'user_code', 'verification_uri'])('RFC8628-3.2-%s: missing → a validation error naming the field', async (field) => {
    const err = await processDeviceAuthorizationResponse(json({ ...device, [field]: undefined })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseValidationError);
    expect(err).toMatchObject({ field, expected: 'a non-empty string' });
  });

  test('expires_in must be a positive integer: the error says what it got', async () => {
    await expect(processDeviceAuthorizationResponse(json({ ...device, expires_in: '600' }))).rejects.toThrow(
      'device authorization response: "expires_in" must be a positive integer number of seconds, got "600"',
    );
    await expect(processDeviceAuthorizationResponse(json({ ...device, expires_in: 0 }))).rejects.toThrow('got number 0');
    // Past 2^53 seconds an "integer" is no usable instant (times 1000 it may be Infinity): refused, like 0.
    await expect(processDeviceAuthorizationResponse(json({ ...device, expires_in: 1e300 }))).rejects.toThrow('got number 1e+300');
    await expect(processDeviceAuthorizationResponse(json({ ...device, expires_in: 2 ** 53 }))).rejects.toThrow(ResponseValidationError);
    // A large but ordinary value is the parser's to accept and the CLI's to bound (src/flow/interval.ts).
    expect((await processDeviceAuthorizationResponse(json({ ...device, expires_in: 2_592_000, interval: 3_000_000 })))).toMatchObject({ expires_in: 2_592_000, interval: 3_000_000 });
  });

  test('Google: verification_url is accepted for verification_uri', async () => {
    const { verification_uri: _, ...rest } = device;
    expect((await processDeviceAuthorizationResponse(json({ ...rest, verification_url: 'https://www.google.com/device' }))).verification_uri).toBe(
      'https://www.google.com/device',
    );
  });

  test('a javascript: verification_uri is refused', async () => {
    await expect(processDeviceAuthorizationResponse(json({ ...device, verification_uri: 'javascript:alert(1)' }))).rejects.toThrow(
      '"verification_uri" must be an absolute http(s) URL',
    );
  });

  test('GitHub: a form-urlencoded body with numbers as strings is understood', async () => {
    expect(await processDeviceAuthorizationResponse(form({ ...device, expires_in: '900', interval: '5' }))).toEqual({ ...device, expires_in: 900, interval: 5 });
  });

  test('RFC6749-5.1-ignore-unknown: Entra\'s message member is ignored', async () => {
    expect(await processDeviceAuthorizationResponse(json({ ...device, message: 'To sign in…' }))).toEqual(device);
  });

  test('RFC8628-3.2-error: an error body throws OAuthResponseError with code and description (also with HTTP 200)', async () => {
    for (const status of [400, 401, 200]) {
      const err = await processDeviceAuthorizationResponse(json({ error: 'invalid_client', error_description: 'unknown client' }, status)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OAuthResponseError);
      expect((err as OAuthResponseError).detail).toEqual({ error: 'invalid_client', error_description: 'unknown client', status });
    }
  });

  test('a non-JSON body names the status and content type', async () => {
    await expect(processDeviceAuthorizationResponse(new Response('<html>', { status: 502, headers: { 'content-type': 'text/html' } }))).rejects.toThrow(
      'device authorization response: "(body)" must be a JSON object (HTTP 502, Content-Type "text/html"), got "<html>"',
    );
  });
});

describe('token endpoint response', () => {
  const tokens = { access_token: 'at', token_type: 'Bearer', expires_in: 900, refresh_token: 'rt', scope: 'profile' };

  test.each(['Bearer', 'bearer', 'BEARER', 'DPoP', 'dpop'])('RFC6749-5.1-token_type: %s is understood (case-insensitive)', async (type) => {
    const result = await processTokenEndpointResponse(json({ ...tokens, token_type: type }));
    expect(result).toEqual({ ok: true, tokens: { ...tokens, token_type: type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' } });
  });

  test('RFC6749-7.1-unknown-type: token_type mac is refused with the field named', async () => {
    await expect(processTokenEndpointResponse(json({ ...tokens, token_type: 'mac' }))).rejects.toThrow(
      'token response: "token_type" must be "Bearer" or "DPoP" (case-insensitive; RFC 6749 §7.1), got "mac"',
    );
  });

  test('RFC9449-5-downgrade: after sending a proof, a Bearer response is refused', async () => {
    await expect(processTokenEndpointResponse(json(tokens), { dpopProofSent: true })).rejects.toMatchObject({ field: 'token_type' });
    await expect(processTokenEndpointResponse(json({ ...tokens, token_type: 'DPoP' }), { dpopProofSent: true })).resolves.toMatchObject({ ok: true });
  });

  test('RFC9449-5-token_type: without a proof, a DPoP token is refused (it could not be used)', async () => {
    await expect(processTokenEndpointResponse(json({ ...tokens, token_type: 'DPoP' }), { dpopProofSent: false })).rejects.toThrow(
      'token response: "token_type" must be "Bearer" because no DPoP proof was sent (a DPoP-bound token is unusable without the key), got "DPoP"',
    );
    await expect(processTokenEndpointResponse(json(tokens), { dpopProofSent: false })).resolves.toMatchObject({ ok: true });
  });

  test('RFC6749-5.1-access_token: missing → validation error', async () => {
    await expect(processTokenEndpointResponse(json({ ...tokens, access_token: undefined }))).rejects.toMatchObject({ field: 'access_token' });
  });

  test('RFC6749-5.1-ignore-unknown: refresh_token_expires_in, id_token and other members are ignored', async () => {
    const result = await processTokenEndpointResponse(json({ ...tokens, refresh_token_expires_in: 15_897_600, id_token: 'x', message: 'hi' }));
    expect(result).toEqual({ ok: true, tokens });
  });

  test('GitHub: comma-separated scope becomes space-delimited; form bodies with string numbers work', async () => {
    expect(normalizeScope('repo,gist')).toBe('repo gist');
    expect(normalizeScope(' a  b,c ')).toBe('a b c');
    const result = await processTokenEndpointResponse(form({ access_token: 'at', token_type: 'bearer', scope: 'repo,gist', expires_in: '28800' }));
    expect(result).toEqual({ ok: true, tokens: { access_token: 'at', token_type: 'Bearer', scope: 'repo gist', expires_in: 28800 } });
  });

  test('RFC9068-6-client-opaque: expires_in is taken as sent; the access token is never decoded', async () => {
    const jwtish = 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.sig';
    const result = await processTokenEndpointResponse(json({ ...tokens, access_token: jwtish, expires_in: 60 }));
    expect(result).toEqual({ ok: true, tokens: { ...tokens, access_token: jwtish, expires_in: 60 } });
    const noExpiry = await processTokenEndpointResponse(json({ ...tokens, access_token: jwtish, expires_in: undefined }));
    expect(noExpiry.ok && noExpiry.tokens.expires_in).toBeUndefined();
  });

  test('errors are branched on error, not status (GitHub 200), with interval, Retry-After and DPoP-Nonce carried', async () => {
    const result = await processTokenEndpointResponse(json({ error: 'slow_down', interval: 10 }, 200, { 'Retry-After': '3', 'DPoP-Nonce': 'n' }));
    expect(result).toEqual({ ok: false, error: { error: 'slow_down', interval: 10, status: 200, retryAfterS: 3, dpopNonce: 'n' } });
  });
});

describe('"try again later" at the token endpoint (RFC 6585 §4, RFC 9110 §15.6.4)', () => {
  const rejection = async (response: Response) => {
    try {
      await processTokenEndpointResponse(response);
    } catch (err) {
      return err;
    }
    return undefined;
  };

  test.each<[string, () => Response, number, unknown]>([
    ['429 with Retry-After and no error code (the simulated rate limiter)', () => json({ error_description: 'too many requests' }, 429, { 'Retry-After': '30' }), 429, { seconds: 30 }],
    ['503 with an empty body', () => new Response('', { status: 503, headers: { 'Retry-After': 'Wed, 21 Oct 2026 07:28:00 GMT' } }), 503, { date: Date.UTC(2026, 9, 21, 7, 28, 0) }],
    ['502 HTML page from a proxy', () => new Response('<html>502</html>', { status: 502, headers: { 'content-type': 'text/html' } }), 502, undefined],
    ['429 temporarily_unavailable (Entra)', () => json({ error: 'temporarily_unavailable' }, 429, { 'Retry-After': '5' }), 429, { seconds: 5 }],
    ['503 server_error', () => json({ error: 'server_error' }, 503), 503, undefined],
  ])('%s → RetryLaterError', async (_name, response, status, retryAfter) => {
    const err = await rejection(response());
    expect(err).toBeInstanceOf(RetryLaterError);
    expect(err).toMatchObject({ status, retryAfter });
  });

  test('an OAuth error that is not "busy" keeps its meaning whatever the status; a 500 server_error is an OAuth error', async () => {
    expect(await processTokenEndpointResponse(json({ error: 'invalid_grant' }, 400))).toMatchObject({ ok: false, error: { error: 'invalid_grant', status: 400 } });
    expect(await processTokenEndpointResponse(json({ error: 'invalid_grant' }, 429))).toMatchObject({ ok: false, error: { error: 'invalid_grant', status: 429 } });
    expect(await processTokenEndpointResponse(json({ error: 'server_error' }, 500))).toMatchObject({ ok: false, error: { error: 'server_error', status: 500 } });
    expect((await processDeviceCodeGrantResponse(json({ error: 'slow_down' }, 429, { 'Retry-After': '9' }))).kind).toBe('slow_down');
    // A non-JSON 200 or 4xx is still a malformed answer, not "busy".
    expect(await rejection(new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }))).toBeInstanceOf(ResponseValidationError);
    expect(await rejection(new Response('<html>', { status: 403, headers: { 'content-type': 'text/html' } }))).toBeInstanceOf(ResponseValidationError);
  });

  test.each<[string, unknown]>([
    ['120', { seconds: 120 }],
    [' 0 ', { seconds: 0 }],
    ['Sun, 06 Nov 1994 08:49:37 GMT', { date: Date.UTC(1994, 10, 6, 8, 49, 37) }],
    ['Sunday, 06-Nov-94 08:49:37 GMT', { date: Date.UTC(1994, 10, 6, 8, 49, 37) }],
    ['Sun Nov  6 08:49:37 1994', { date: Date.UTC(1994, 10, 6, 8, 49, 37) }],
    ['-5', undefined],
    ['1.5', undefined],
    ['99999999999999999999', undefined],
    ['Sun, 31 Feb 2026 08:49:37 GMT', undefined],
    ['Sun, 06 Nov 1994 08:49:37 PST', undefined],
    ['tomorrow', undefined],
  ])('Retry-After %j → %j (RFC 9110 §10.2.3, §5.6.7: delay-seconds or any of the three HTTP-date forms)', (header, want) => {
    expect(parseRetryAfter(new Response(null, { headers: { 'Retry-After': header } }))).toEqual(want);
  });
});

describe('poll classification (RFC 8628 §3.5)', () => {
  test.each([
    ['authorization_pending', 'pending'],
    ['slow_down', 'slow_down'],
    ['access_denied', 'denied'],
    ['authorization_declined', 'denied'],
    ['expired_token', 'expired'],
    ['token_expired', 'expired'],
    ['invalid_grant', 'error'],
    ['bad_verification_code', 'error'],
    ['incorrect_device_code', 'error'],
    ['device_flow_disabled', 'error'],
    ['something_new', 'error'],
  ])('RFC8628-3.5-stop-on-other: %s → %s', async (error, kind) => {
    expect(classifyPollError({ error, status: 400 }).kind).toBe(kind);
    expect((await processDeviceCodeGrantResponse(json({ error }, 400))).kind).toBe(kind);
  });

  test('success → tokens', async () => {
    expect(await processDeviceCodeGrantResponse(json({ access_token: 'at', token_type: 'Bearer' }))).toEqual({
      kind: 'tokens',
      tokens: { access_token: 'at', token_type: 'Bearer' },
    });
  });
});

describe('revocation response', () => {
  test('RFC7009-2.2-body-hint: a 200 is success and its body is never read', async () => {
    const response = new Response('garbage{', { status: 200 });
    expect(await processRevocationResponse(response)).toEqual({ ok: true });
    expect(response.bodyUsed).toBe(false);
  });

  test('RFC7009-2.2.1-503: a 503 reports Retry-After; other errors report the code', async () => {
    expect(await processRevocationResponse(json({ error: 'temporarily_unavailable' }, 503, { 'Retry-After': '30' }))).toEqual({
      ok: false,
      status: 503,
      retryAfterS: 30,
      error: 'temporarily_unavailable',
    });
    expect(await processRevocationResponse(json({ error: 'unsupported_token_type' }, 400))).toEqual({ ok: false, status: 400, error: 'unsupported_token_type' });
    expect(await processRevocationResponse(new Response('oops', { status: 500 }))).toEqual({ ok: false, status: 500 });
  });
});

describe('protected resource responses', () => {
  test('parseWwwAuthenticate reads schemes and quoted params', () => {
    expect(parseWwwAuthenticate('Bearer realm="api", error="insufficient_scope", scope="projects:admin", DPoP algs="ES256 RS256"')).toEqual([
      { scheme: 'Bearer', params: { realm: 'api', error: 'insufficient_scope', scope: 'projects:admin' } },
      { scheme: 'DPoP', params: { algs: 'ES256 RS256' } },
    ]);
    expect(parseWwwAuthenticate(null)).toEqual([]);
  });

  test.each([
    [200, undefined, { kind: 'ok', status: 200, body: '{}' }],
    [401, 'Bearer error="invalid_token", error_description="expired"', { kind: 'invalid_token', status: 401, description: 'expired' }],
    [401, 'Bearer realm="api"', { kind: 'invalid_token', status: 401 }],
    [403, 'Bearer error="insufficient_scope", scope="projects:admin"', { kind: 'insufficient_scope', status: 403, scope: 'projects:admin' }],
    [400, 'Bearer error="invalid_request"', { kind: 'error', status: 400, body: '{}', error: 'invalid_request' }],
    [500, undefined, { kind: 'error', status: 500, body: '{}' }],
  ])('RFC6750-3.1-invalid_token, RFC6750-3.1-insufficient_scope: status %i with %s', async (status, challenge, expected) => {
    const headers: Record<string, string> = challenge ? { 'WWW-Authenticate': challenge } : {};
    expect(await processProtectedResourceResponse(new Response('{}', { status, headers }))).toEqual(expected);
  });

  test('RFC6750-3.1-insufficient_scope: only a challenge with error="insufficient_scope" makes a 403 a scope problem; a bare 403 is a plain error', async () => {
    const at = (headers: Record<string, string>, body = 'Forbidden') => processProtectedResourceResponse(new Response(body, { status: 403, headers }));
    expect(await at({ 'WWW-Authenticate': 'Bearer error="insufficient_scope"' })).toEqual({ kind: 'insufficient_scope', status: 403 });
    expect(await at({ 'WWW-Authenticate': 'DPoP error="insufficient_scope", scope="profile"' })).toEqual({ kind: 'insufficient_scope', status: 403, scope: 'profile' });
    expect(await at({})).toEqual({ kind: 'error', status: 403, body: 'Forbidden' });
    expect(await at({ 'WWW-Authenticate': 'Bearer realm="api"' })).toEqual({ kind: 'error', status: 403, body: 'Forbidden' });
    expect(await at({ 'WWW-Authenticate': 'Basic realm="proxy", error="insufficient_scope"' })).toEqual({ kind: 'error', status: 403, body: 'Forbidden' });
    // GitHub's way (X-Accepted-OAuth-Scopes, no challenge) is not RFC 6750: no step-up is inferred from it.
    expect(await at({ 'X-Accepted-OAuth-Scopes': 'repo' }, '{"message":"Resource not accessible by integration"}')).toMatchObject({ kind: 'error', status: 403 });
  });

  test('use_dpop_nonce at the API carries the new nonce', async () => {
    const response = new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n1' } });
    expect(await processProtectedResourceResponse(response)).toEqual({ kind: 'use_dpop_nonce', status: 401, nonce: 'n1' });
  });
});
