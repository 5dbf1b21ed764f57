import { describe, expect, test } from 'vitest';
import { DEFAULT_IDP_PORT, parseIdpArgs } from './args.ts';

describe('npm run idp arguments', () => {
  test('defaults: port 8628 and no knob overrides', () => {
    expect(parseIdpArgs([])).toEqual({ ok: true, args: { port: DEFAULT_IDP_PORT, knobs: {}, quiet: false, help: false } });
  });

  test('named flags set the knobs they name', () => {
    const r = parseIdpArgs(['--port', '0', '--profile', 'github', '--interval', 'none', '--code-lifetime', '30',
      '--access-token-lifetime', '60', '--no-rotation', '--no-slow-down', '--dpop', '--quiet']);
    expect(r).toEqual({ ok: true, args: { port: 0, quiet: true, help: false, knobs: {
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
});
