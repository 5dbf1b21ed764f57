/**
 * Login start: discovery, the device authorization request, what the terminal shows, and when the CLI may
 * (and may not) start a login. RFC 8628 §3.1-3.3, §4; RFC 8414.
 */
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE, FORM_CONTENT_TYPE } from '../protocol/constants.ts';
import { replies } from './testing/fake-server.ts';
import { startCli } from './testing/harness.ts';

const HOUR = 3_600_000;

describe('starting a login', () => {
  test('RFC8628-3.1-user-initiated: booting the CLI makes zero requests, even after an hour', async () => {
    const cli = await startCli();
    await cli.advance(HOUR);
    expect(cli.server.exchanges).toHaveLength(0);
    expect(cli.state()).toBe('idle');
  });

  test('RFC8628-3.1-user-initiated: only user.login starts a code request; nothing else does', async () => {
    const cli = await startCli();
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/me' });
    await cli.send({ type: 'user.whoami' });
    await cli.send({ type: 'user.logout' });
    await cli.send({ type: 'user.cancel' });
    expect(cli.server.exchanges).toHaveLength(0);
    expect(cli.output()).toContain('Not logged in. Run `acme login` first.');
    await cli.send({ type: 'user.login' });
    expect(cli.server.exchanges.map((e) => e.kind)).toEqual(['metadata', 'device']);
  });

  test('RFC8628-4-metadata: the endpoints come from RFC 8414 metadata and are cached for the next login', async () => {
    const cli = await startCli({
      server: {
        metadata: {
          device_authorization_endpoint: 'https://auth.acme.test/device/code',
          token_endpoint: 'https://auth.acme.test/token',
        },
      },
    });
    cli.server.on('poll', replies.denied());
    await cli.send({ type: 'user.login' });
    await cli.runUntilState('denied');
    await cli.send({ type: 'user.login' });
    expect(cli.server.exchanges.map((e) => `${e.kind} ${e.method} ${e.path}`)).toEqual([
      'metadata GET /.well-known/oauth-authorization-server',
      'device POST /device/code',
      'poll POST /token',
      'device POST /device/code',
    ]);
  });

  test('RFC8628-4-metadata: metadata whose issuer differs from the configured one is refused (RFC 8414 §3.3)', async () => {
    const cli = await startCli({ server: { metadata: { issuer: 'https://evil.test' } } });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('failed');
    expect(cli.server.of('device')).toHaveLength(0);
    expect(cli.output().at(-1)).toContain('"issuer" must be identical to "https://auth.acme.test"');
  });
});

describe('transport security', () => {
  test('RFC8628-3.1-tls: an http issuer makes the machine refuse to start: zero requests', async () => {
    const cli = await startCli({ issuer: 'http://auth.acme.test' });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('failed');
    expect(cli.server.exchanges).toHaveLength(0);
    expect(cli.output()).toEqual(['✗ Refusing to log in: the issuer http://auth.acme.test is not https (RFC 8628 §3.1 requires TLS).']);
  });

  test('RFC8628-3.1-tls: an http endpoint in the metadata is refused before any code request', async () => {
    const cli = await startCli({ server: { metadata: { device_authorization_endpoint: 'http://auth.acme.test/device/code' } } });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('failed');
    expect(cli.server.exchanges.map((e) => e.kind)).toEqual(['metadata']);
    expect(cli.output().at(-1)).toContain('device_authorization_endpoint must be an https URL');
  });

  test.each(['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080'])(
    'RFC8628-3.1-tls: allowInsecureLoopback lets %s through, and only loopback',
    async (issuer) => {
      const secure = await startCli({ issuer, server: { issuer } });
      await secure.send({ type: 'user.login' });
      expect(secure.state()).toBe('failed');
      expect(secure.server.exchanges).toHaveLength(0);

      const loopback = await startCli({ issuer, server: { issuer }, knobs: { allowInsecureLoopback: true } });
      await loopback.send({ type: 'user.login' });
      expect(loopback.state()).toBe('signingIn.awaitingApproval.waitingInterval');
      expect(loopback.server.exchanges.map((e) => e.kind)).toEqual(['metadata', 'device']);
    },
  );

  test('RFC8628-3.1-tls: allowInsecureLoopback does not allow http to any other host', async () => {
    const issuer = 'http://127.0.0.1.evil.test';
    const cli = await startCli({ issuer, server: { issuer }, knobs: { allowInsecureLoopback: true } });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('failed');
    expect(cli.server.exchanges).toHaveLength(0);
  });
});

describe('the device authorization request', () => {
  test('RFC8628-3.1-post-form: the code request is a form-urlencoded POST that asks for JSON', async () => {
    const cli = await startCli();
    await cli.send({ type: 'user.login' });
    const [device] = cli.server.of('device');
    expect(device?.method).toBe('POST');
    expect(device?.headers['content-type']).toBe(FORM_CONTENT_TYPE);
    expect(device?.headers.accept).toBe('application/json');
    expect(device?.rawBody).toBe('client_id=acme-cli&scope=profile+projects%3Aread');
  });

  test('RFC8628-3.1-client_id: every request to the authorization server carries client_id (metadata GET aside)', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.pending(), replies.tokens());
    await cli.login();
    await cli.send({ type: 'user.logout' });
    const posts = cli.server.exchanges.filter((e) => e.kind !== 'metadata' && e.kind !== 'api');
    expect(posts.map((e) => e.kind)).toEqual(['device', 'poll', 'poll', 'revoke', 'revoke']);
    for (const e of posts) expect(e.form.client_id).toBe('acme-cli');
  });

  test('RFC8628-3.1-client-auth, RFC8628-3.4-client-auth: a public client identifies with client_id only (code request and polls): no Authorization header, no client_secret', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.tokens());
    await cli.login();
    const toServer = cli.server.exchanges.filter((e) => e.kind !== 'api');
    expect(toServer.length).toBe(3);
    for (const e of toServer) {
      expect(e.headers.authorization).toBeUndefined();
      expect(e.form.client_secret).toBeUndefined();
    }
  });

  test('RFC8628-3.1-no-dup: no request the CLI sends repeats a parameter', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.slowDown(), replies.tokens());
    await cli.login({ type: 'user.login', scopes: ['projects:read', 'projects:write'] });
    await cli.send({ type: 'user.logout' });
    expect(cli.server.exchanges.map((e) => e.kind)).toEqual(['metadata', 'device', 'poll', 'poll', 'revoke', 'revoke']);
    for (const e of cli.server.exchanges) expect(e.repeatedKeys).toEqual([]);
    expect(cli.server.of('device')[0]?.form.scope).toBe('profile projects:read projects:write');
  });

  test('RFC8628-3.1-scope, RFC6749-10.3-min-scope: by default the scope parameter names exactly the minimal set, and a login adds only what a command asks for', async () => {
    const cli = await startCli();
    await cli.send({ type: 'user.login' });
    expect(cli.server.of('device')[0]?.form.scope).toBe('profile projects:read');
    await cli.send({ type: 'user.cancel' });
    await cli.send({ type: 'user.login', scopes: ['projects:admin'] });
    expect(cli.server.of('device')[1]?.form.scope).toBe('profile projects:read projects:admin');
  });
});

describe('the device authorization response', () => {
  test.each(['device_code', 'user_code', 'verification_uri', 'expires_in'])(
    'RFC8628-3.2-%s: a response without it → failed, the field is named, and no poll is ever sent',
    async (field) => {
      const cli = await startCli({ server: { device: { [field]: undefined } } });
      await cli.send({ type: 'user.login' });
      await cli.advance(60_000);
      expect(cli.state()).toBe('failed');
      expect(cli.polls()).toHaveLength(0);
      const expected = field === 'expires_in' ? 'a positive integer number of seconds' : 'a non-empty string';
      expect(cli.output().at(-1)).toBe(`✗ Could not start the login: device authorization response: "${field}" must be ${expected} (it is missing)`);
    },
  );

  test('RFC8628-3.2-error: an error at the device endpoint is shown and the CLI never polls', async () => {
    const cli = await startCli();
    cli.server.on('device', replies.error('invalid_client', 401, 'unknown client acme-cli'));
    await cli.send({ type: 'user.login' });
    await cli.advance(60_000);
    expect(cli.state()).toBe('failed');
    expect(cli.polls()).toHaveLength(0);
    expect(cli.output()).toEqual(['✗ Could not start the login: invalid_client: unknown client acme-cli']);
  });

  test("Google-style verification_url is accepted as verification_uri and shown", async () => {
    const cli = await startCli({ server: { device: { verification_uri: undefined, verification_url: 'https://www.google.com/device' } as never } });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    expect(cli.output()[1]).toBe('Then open https://www.google.com/device in a browser on any device and enter the code.');
  });

  test('RFC6749-5.1-ignore-unknown: Entra\'s extra "message" member in the device response is ignored', async () => {
    const cli = await startCli({ server: { device: { message: 'To sign in, use a web browser…' } as never } });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('signingIn.awaitingApproval.waitingInterval');
  });
});

describe('what the terminal shows', () => {
  test('RFC8628-3.3-show-code-uri: user_code and verification_uri verbatim, before the first poll', async () => {
    const cli = await startCli({ server: { device: { user_code: 'BCDF-GHJK', verification_uri: 'https://auth.acme.test/activate' } } });
    await cli.send({ type: 'user.login' });
    const lines = cli.output();
    expect(lines[0]).toBe('! First copy your one-time code: BCDF-GHJK');
    expect(lines[1]).toBe('Then open https://auth.acme.test/activate in a browser on any device and enter the code.');
    expect(cli.polls()).toHaveLength(0);
  });

  test('RFC8628-3.4-after-display: the first poll comes after the instructions were shown', async () => {
    const cli = await startCli();
    await cli.send({ type: 'user.login' });
    const shownAt = cli.events('cli.output')[0]!.at;
    await cli.advance(5_000);
    expect(cli.polls()).toHaveLength(1);
    expect(cli.polls()[0]!.at - shownAt).toBe(5_000);
  });

  test('RFC8628-3.3.1-qr: a QR/open-browser link is offered only when verification_uri_complete exists', async () => {
    const complete = 'https://auth.acme.test/device?user_code=WDJB-MJHT';
    const withLink = await startCli({ server: { device: { verification_uri_complete: complete } } });
    await withLink.send({ type: 'user.login' });
    expect(withLink.events('cli.qr').map((e) => e.uri)).toEqual([complete]);

    const without = await startCli();
    await without.send({ type: 'user.login' });
    expect(without.events('cli.qr')).toEqual([]);
  });

  test('RFC8628-3.3.1-show-uri, RFC8628-3.3.1-show-user_code: with a QR link the text still shows verification_uri and user_code', async () => {
    const cli = await startCli({ server: { device: { verification_uri_complete: 'https://auth.acme.test/device?user_code=WDJB-MJHT' } } });
    await cli.send({ type: 'user.login' });
    expect(cli.output().slice(0, 2)).toEqual([
      '! First copy your one-time code: WDJB-MJHT',
      'Then open https://auth.acme.test/device in a browser on any device and enter the code.',
    ]);
  });

  test('RFC8628-3.2-verification_uri_complete: without it the flow works the same, to approval', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.pending(), replies.tokens());
    await cli.login();
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.polls()).toHaveLength(2);
  });

  test('RFC8628-3.3-hide-device_code: neither terminal nor debug log (bodies, redacted) ever contains the device code', async () => {
    const cli = await startCli({ knobs: { debug: 'bodies' } });
    cli.server.on('poll', replies.pending(), replies.tokens());
    await cli.login();
    const deviceCode = cli.server.deviceCodes[0]!;
    expect(cli.polls()[0]!.form.device_code).toBe(deviceCode);
    expect(cli.debug().length).toBeGreaterThan(10);
    for (const text of [...cli.output(), ...cli.debug()]) expect(text).not.toContain(deviceCode);
  });

  test('RFC8628-5.5-session-spying: with redaction the user code stays out of the (persisted) debug log', async () => {
    const cli = await startCli({ knobs: { debug: 'bodies' } });
    await cli.send({ type: 'user.login' });
    expect(cli.output()[0]).toContain('WDJB-MJHT');
    expect(cli.debug().some((l) => l.includes('"user_code":"[REDACTED]"'))).toBe(true);
    for (const text of cli.debug()) expect(text).not.toContain('WDJB-MJHT');
  });
});

describe('no automatic restart', () => {
  test('RFC8628-3.5-restart-wait-user: after expiry there is no automatic new code request, for an hour', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.expired());
    await cli.send({ type: 'user.login' });
    await cli.advance(HOUR);
    expect(cli.state()).toBe('expired');
    expect(cli.server.of('device')).toHaveLength(1);
    expect(cli.polls()).toHaveLength(1);
  });

  test('RFC8628-3.5-restart-may: the expired state offers a new login on user.login', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.expired(), replies.tokens());
    await cli.send({ type: 'user.login' });
    await cli.runUntilState('expired');
    expect(cli.output()).toContain('✗ The code expired (expired_token). Run `acme login` to start again.');
    await cli.login();
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.server.of('device')).toHaveLength(2);
    expect(cli.polls().map((p) => p.form.device_code)).toEqual(cli.server.deviceCodes);
  });

  test.each([
    ['denied', replies.denied()],
    ['failed', replies.error('invalid_grant')],
  ] as const)('RFC8628-3.1-user-initiated: from %s nothing restarts by itself; user.login does', async (state, reply) => {
    const cli = await startCli();
    cli.server.on('poll', reply);
    await cli.send({ type: 'user.login' });
    await cli.advance(HOUR);
    expect(cli.state()).toBe(state);
    expect(cli.server.of('device')).toHaveLength(1);
    await cli.send({ type: 'user.login' });
    expect(cli.server.of('device')).toHaveLength(2);
  });

  test('user.cancel (Ctrl+C) while waiting → cancelled, no further polls, no restart', async () => {
    const cli = await startCli();
    await cli.send({ type: 'user.login' });
    await cli.advance(12_000);
    expect(cli.polls()).toHaveLength(2);
    await cli.send({ type: 'user.cancel' });
    await cli.advance(HOUR);
    expect(cli.state()).toBe('cancelled');
    expect(cli.polls()).toHaveLength(2);
    expect(cli.output().at(-1)).toBe('✗ Login cancelled.');
  });

  test('user.cancel (Ctrl+C) during an in-flight poll aborts that request', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.hang());
    await cli.send({ type: 'user.login' });
    await cli.advance(6_000);
    expect(cli.polls()[0]!.outcome).toBe('pending');
    await cli.send({ type: 'user.cancel' });
    expect(cli.polls()[0]!.outcome).toBe('aborted');
    expect(cli.state()).toBe('cancelled');
  });
});

test('RFC8628-3.4-grant_type, RFC8628-3.4-device_code, RFC8628-3.4-client_id: the poll body is exact', async () => {
  const cli = await startCli();
  await cli.send({ type: 'user.login' });
  await cli.advance(5_000);
  const [poll] = cli.polls();
  expect(poll?.method).toBe('POST');
  expect(poll?.form).toEqual({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: cli.server.deviceCodes[0], client_id: 'acme-cli' });
  expect(poll?.headers['content-type']).toBe(FORM_CONTENT_TYPE);
});
