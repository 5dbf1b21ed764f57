import { describe, expect, test } from 'vitest';
import { DEFAULT_NAMES } from '../world/names.ts';
import { brandCommand, brandText } from './brand.ts';

const GLOBEX = { org: 'Globex', cli: 'gx', idp: 'Globex SSO' };

describe('brandText', () => {
  test('whole words: acme → the CLI, Acme → the organisation', () => {
    expect(brandText('Run `acme login` in the terminal.', GLOBEX)).toBe('Run `gx login` in the terminal.');
    expect(brandText('acme login', GLOBEX)).toBe('gx login');
    expect(brandText('Allow Acme CLI?', GLOBEX)).toBe('Allow Globex CLI?');
    expect(brandText("the admin of acme's identity provider", GLOBEX)).toBe("the admin of gx's identity provider");
    expect(brandText('The `acme` CLI', GLOBEX)).toBe('The `gx` CLI');
  });

  test('a dash after the word is a boundary: acme-cli → gx-cli', () => {
    expect(brandText('keychain service acme-cli', GLOBEX)).toBe('keychain service gx-cli');
  });

  test('paths under the CLI\'s directories follow it', () => {
    expect(brandText('`~/.config/acme/credentials.json`', GLOBEX)).toBe('`~/.config/gx/credentials.json`');
    expect(brandText('ls -la ~/.config/acme', GLOBEX)).toBe('ls -la ~/.config/gx');
    expect(brandText('/var/crash/acme.crash', GLOBEX)).toBe('/var/crash/gx.crash');
  });

  test('longer words and words glued to others are left alone', () => {
    for (const text of ['acmeish', 'pacme', 'Acmes', 'ACME', 'x-acme', 'acme_tool', 'Acme2', 'my.acme']) {
      expect(brandText(text, GLOBEX)).toBe(text);
    }
  });

  test('hostnames and e-mail addresses stay fixed (they are addresses, not names)', () => {
    const text = 'Open https://idp.acme.test/device; mail alice@acme.test; api.acme.test';
    expect(brandText(text, GLOBEX)).toBe(text);
    expect(brandText('acme.test', GLOBEX)).toBe('acme.test');
  });

  test('the token variable follows the CLI: ACME_TOKEN → GX_TOKEN, dashes as underscores', () => {
    expect(brandText('export ACME_TOKEN=...', GLOBEX)).toBe('export GX_TOKEN=...');
    expect(brandText('export ACME_TOKEN=...', { ...GLOBEX, cli: 'globex-ops' })).toBe('export GLOBEX_OPS_TOKEN=...');
  });

  test('the identity provider\'s default name becomes the IdP\'s name, not "<org> identity provider"', () => {
    expect(brandText('Acme identity provider', GLOBEX)).toBe('Globex SSO');
    expect(brandText('Acme identity providers', GLOBEX)).toBe('Globex identity providers');
  });

  test('one pass: a replacement that contains a default name is not replaced again', () => {
    expect(brandText('acme and Acme', { org: 'acme', cli: 'Acme', idp: 'x' })).toBe('Acme and acme');
  });

  test('no names, partial names and the default names', () => {
    const text = 'Run `acme login` for Acme.';
    expect(brandText(text, undefined)).toBe(text);
    expect(brandText(text, DEFAULT_NAMES)).toBe(text);
    expect(brandText(text, { cli: 'gx' })).toBe('Run `gx login` for Acme.');
  });
});

describe('brandCommand', () => {
  test('the command word becomes the world\'s CLI; its arguments stay', () => {
    expect(brandCommand('acme login --scope projects:admin', GLOBEX)).toBe('gx login --scope projects:admin');
    expect(brandCommand('acme api get /api/projects', GLOBEX)).toBe('gx api get /api/projects');
  });

  test('the default CLI\'s host paths become the branded ones', () => {
    expect(brandCommand('ls -la ~/.config/acme', GLOBEX)).toBe('ls -la ~/.config/gx');
    expect(brandCommand('ls -la ~/.config/acme/', GLOBEX)).toBe('ls -la ~/.config/gx/');
    expect(brandCommand('cat ~/.config/acme/credentials.json', GLOBEX)).toBe('cat ~/.config/gx/credentials.json');
    expect(brandCommand('cat ~/.cache/acme/debug.log /var/crash/acme.crash', GLOBEX)).toBe('cat ~/.cache/gx/debug.log /var/crash/gx.crash');
  });

  test('nothing else is a name: other commands, other paths, acme as an argument', () => {
    expect(brandCommand('echo acme', GLOBEX)).toBe('echo acme');
    expect(brandCommand('ls -la ~/.config/acmeish', GLOBEX)).toBe('ls -la ~/.config/acmeish');
    expect(brandCommand('history', GLOBEX)).toBe('history');
    expect(brandCommand('  acme   whoami', GLOBEX)).toBe('  gx   whoami');
  });

  test('the default names give the line back unchanged', () => {
    expect(brandCommand('acme login', DEFAULT_NAMES)).toBe('acme login');
  });
});
