import { describe, expect, test } from 'vitest';
import { defaultRegistry } from '../sim/registry.ts';
import { DEFAULT_EXIT_GRACE_S, DEFAULT_IDP_HOST, DEFAULT_IDP_PORT, USAGE, isLoopbackHost, parseIdpArgs } from './args.ts';

const DEFAULTS = { port: DEFAULT_IDP_PORT, host: DEFAULT_IDP_HOST, knobs: {}, clients: [], scripts: new Map(), exitGraceS: DEFAULT_EXIT_GRACE_S, quiet: false, help: false };

describe('npm run idp arguments', () => {
  test('defaults: port 8628 and no knob overrides', () => {
    expect(parseIdpArgs([])).toEqual({ ok: true, args: DEFAULTS });
  });

  test('named flags set the knobs they name', () => {
    const r = parseIdpArgs(['--port', '0', '--profile', 'github', '--interval', 'none', '--code-lifetime', '30',
      '--access-token-lifetime', '60', '--no-rotation', '--no-slow-down', '--dpop', '--quiet']);
    expect(r).toEqual({ ok: true, args: { ...DEFAULTS, port: 0, quiet: true, knobs: {
      profile: 'github', intervalS: null, codeLifetimeS: 30, accessTokenLifetimeS: 60,
      rotateRefreshTokens: false, slowDownEnforcement: false, dpopRequired: true,
    } } });
  });

  test('--set reaches every kind of knob', () => {
    const r = parseIdpArgs(['--set', 'userCodeAttemptLimit=0', '--set', 'reuseDetection=false', '--set', 'consentDetail=minimal',
      '--set', 'defaultScopes=profile,projects:admin', '--set', 'intervalS=none']);
    expect(r.ok && r.args.knobs).toEqual({ userCodeAttemptLimit: 0, reuseDetection: false, consentDetail: 'minimal',
      defaultScopes: ['profile', 'projects:admin'], intervalS: null });
  });

  test.each([
    [['--port', 'abc'], '--port expects a whole number, got "abc"'],
    [['--port', '70000'], '--port must be between 0 and 65535, got 70000'],
    [['--profile', 'okta'], '--profile must be one of rfc, github, entra, google, got "okta"'],
    [['--interval', '0'], '--interval must be between 1 and 60, got 0'],
    [['--set', 'nope'], '--set expects knob=value, got "nope"'],
    [['--set', 'foo=1'], '--set: unknown knob "foo"'],
    [['--set', 'reuseDetection=yes'], '--set reuseDetection expects true or false, got "yes"'],
    [['--set', 'consentDetail=loud'], 'Invalid server knobs: consentDetail must be one of full, minimal'],
  ])('bad input %j is refused with a message naming the flag', (argv, message) => {
    expect(parseIdpArgs(argv)).toEqual({ ok: false, message });
  });

  test('unknown flags are refused', () => {
    const r = parseIdpArgs(['--bogus']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/bogus/);
  });

  test('--host, --issuer, --client (public and confidential) and --scopes', () => {
    const r = parseIdpArgs(['--host', '0.0.0.0', '--issuer', 'https://idp.example.test/', '--client', 'my-cli', '--client', 'my-ci:s3cret:with-colon',
      '--scopes', 'repo  read:org']);
    expect(r.ok && r.args).toMatchObject({
      host: '0.0.0.0', issuer: 'https://idp.example.test',
      clients: [{ clientId: 'my-cli' }, { clientId: 'my-ci', clientSecret: 's3cret:with-colon' }],
      scopes: ['repo', 'read:org'],
    });
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.5')).toBe(false);
  });

  test('--script, --script-file (JSON and YAML), --auto-approve, --exit-after and --exit-grace', () => {
    const r = parseIdpArgs(['--script', 'pending,slow_down,approve:bob:profile projects:read', '--exit-after', '2', '--exit-grace', '0.5']);
    expect(r.ok && r.args).toMatchObject({
      script: [{ kind: 'pending' }, { kind: 'slow_down' }, { kind: 'approve', user: 'bob', scope: ['profile', 'projects:read'] }], exitAfter: 2, exitGraceS: 0.5,
    });
    const files: Record<string, string> = {
      'a.json': '{"my-cli": ["pending", "deny"], "acme-cli": "error:503,hang:1.5,reset,expire"}',
      'b.yaml': 'my-cli: [pending, approve]\nacme-cli:\n  - slow_down\n  - approve:mallory\n',
    };
    const readFile = (path: string) => {
      if (!(path in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[path]!;
    };
    const json = parseIdpArgs(['--script-file', 'a.json', '--auto-approve', '2', '--client', 'my-cli'], { readFile });
    expect(json.ok && [...json.args.scripts]).toEqual([
      ['my-cli', [{ kind: 'pending' }, { kind: 'deny' }]],
      ['acme-cli', [{ kind: 'error', status: 503 }, { kind: 'hang', seconds: 1.5 }, { kind: 'reset' }, { kind: 'expire' }]],
    ]);
    expect(json.ok && json.args.autoApproveS).toBe(2);
    const yaml = parseIdpArgs(['--script-file', 'b.yaml', '--client', 'my-cli'], { readFile });
    expect(yaml.ok && Object.fromEntries(yaml.args.scripts)).toEqual({
      'my-cli': [{ kind: 'pending' }, { kind: 'approve' }], 'acme-cli': [{ kind: 'slow_down' }, { kind: 'approve', user: 'mallory' }],
    });
    expect(parseIdpArgs(['--script-file', 'b.yaml', '--client', 'other'], { readFile })).toEqual({
      ok: false, message: '--script-file b.yaml: client "my-cli" is not registered; add --client my-cli (or --client my-cli:<secret>)',
    });
    expect(parseIdpArgs(['--script-file', 'b.yaml', '--client', 'my-cli'], { readFile }).ok).toBe(true);
    expect(parseIdpArgs(['--script-file', 'missing.yaml'], { readFile })).toEqual({ ok: false, message: '--script-file missing.yaml: cannot read it (ENOENT)' });
  });

  test.each([
    [['--host', 'not a host'], '--host expects an IP address or a host name, got "not a host"'],
    [['--issuer', 'ftp://x'], '--issuer expects an http or https URL, got "ftp://x"'],
    [['--issuer', 'nope'], '--issuer expects an http or https URL, got "nope"'],
    [['--issuer', 'http://x/?a=1'], '--issuer must not have a query, a fragment or credentials, got "http://x/?a=1"'],
    [['--client', 'has space'], '--client expects <id> or <id>:<secret> (printable, no spaces), got "has space"'],
    [['--client', 'x:'], '--client x: the secret after ":" must be printable and not empty'],
    [['--client', 'x', '--client', 'x:y'], '--client x is given twice'],
    [['--scopes', ' '], '--scopes expects a space-separated list of scopes, got an empty one'],
    [['--scopes', 'a "b"'], '--scopes: ""b"" is not a valid scope (RFC 6749 §3.3: printable, no quotes or backslashes)'],
    [['--script', ''], '--script: the step list is empty'],
    [['--script', 'pending,wait'], '--script: step "wait": unknown step (steps: pending, slow_down, approve[:<user>[:<scope ...>]], deny, expire, error:<500-599>, hang:<seconds>, reset)'],
    [['--script', 'approve:eve'], `--script: step "approve:eve": unknown user "eve" (one of ${defaultRegistry().users.map((u) => u.id).join(', ')})`],
    [['--script', 'approve:bob:'], '--script: step "approve:bob:": the scope list after the user is empty'],
    [['--script', 'error:404'], '--script: step "error:404": expected error:<http status> with a status from 500 to 599'],
    [['--script', 'hang:0'], '--script: step "hang:0": expected hang:<seconds> with more than 0 and at most 300 seconds'],
    [['--script', 'hang:1s'], '--script: step "hang:1s": expected hang:<seconds> with more than 0 and at most 300 seconds'],
    [['--script', 'deny:bob'], '--script: step "deny:bob": deny takes no argument'],
    [['--script', 'approve', '--auto-approve', '1'], '--auto-approve cannot be combined with --script (the script decides every code; add approve to it)'],
    [['--auto-approve', 'soon'], '--auto-approve expects a number of seconds, got "soon"'],
    [['--exit-after', '0'], '--exit-after must be between 1 and 1000, got 0'],
    [['--exit-grace', 'x'], '--exit-grace expects a number of seconds, got "x"'],
  ])('bad input %j exits 2 with a message naming the flag', (argv, message) => {
    expect(parseIdpArgs(argv)).toEqual({ ok: false, message });
  });

  test.each([
    ['[1, 2]', 'expected a mapping from client id to a step list, e.g. {"acme-cli": ["pending", "approve"]}'],
    ['{}', 'the file names no client'],
    ['my-cli: 3', 'client "my-cli": expected a list of steps'],
    ['my-cli: [pending, 7]', 'client "my-cli": a step must be a string, got 7'],
    ['my-cli: [sometimes]', 'client "my-cli": step "sometimes": unknown step (steps: pending, slow_down, approve[:<user>[:<scope ...>]], deny, expire, error:<500-599>, hang:<seconds>, reset)'],
    ['{"my-cli": [', expect.stringMatching(/^not valid JSON or YAML: /)],
  ])('a bad script file %j is refused naming --script-file and the file', (text, message) => {
    const r = parseIdpArgs(['--script-file', 'steps.yaml'], { readFile: () => text });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toEqual(typeof message === 'string' ? `--script-file steps.yaml: ${message}` : expect.stringContaining('--script-file steps.yaml: not valid JSON or YAML: '));
  });

  test('--help documents every flag with an example', () => {
    const flags = ['--port', '--host', '--issuer', '--client', '--scopes', '--script', '--script-file', '--auto-approve', '--exit-after', '--exit-grace',
      '--profile', '--interval', '--code-lifetime', '--access-token-lifetime', '--refresh-token-lifetime', '--no-rotation', '--no-slow-down', '--dpop',
      '--set', '--quiet', '--help'];
    for (const flag of flags) expect(USAGE).toMatch(new RegExp(`^  ${flag}\\b`, 'm'));
    // Every flag that takes a value shows it in use ("e.g. --flag ..."); the switches are their own example.
    for (const flag of flags.filter((f) => !['--no-rotation', '--no-slow-down', '--dpop', '--quiet', '--help', '--client'].includes(f))) {
      expect(USAGE, flag).toMatch(new RegExp(`e\\.g\\. ${flag} `));
    }
    expect(USAGE).toMatch(/e\.g\. --client my-cli\n/);
    expect(USAGE).toMatch(/e\.g\. --client my-ci:s3cret/);
  });
});
