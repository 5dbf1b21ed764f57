import { describe, expect, it } from 'vitest';
import { CLIENT_KNOB_SPECS } from '../../flow/knobs.ts';
import { DEFAULT_SERVER_KNOBS, SERVER_KNOB_SPECS } from '../../sim/knobs.ts';
import { CLIENT_GROUPS, SERVER_GROUPS, checkClientKnob, checkServerKnob, clientDiff, effectiveServerKnobs, serverDiff } from './knobModel.ts';

describe('sandbox knob model', () => {
  it('groups every knob exactly once (the profile has its own selector)', () => {
    const client = CLIENT_GROUPS.flatMap((g) => g.specs.map((s) => s.key));
    expect([...client].sort()).toEqual(CLIENT_KNOB_SPECS.map((s) => s.key).sort());
    const server = SERVER_GROUPS.flatMap((g) => g.specs.map((s) => s.key));
    expect([...server, 'profile'].sort()).toEqual(SERVER_KNOB_SPECS.map((s) => s.key).sort());
    expect(new Set(SERVER_GROUPS.map((g) => g.id)).size).toBe(SERVER_GROUPS.length);
  });

  it('checks single values with the resolvers', () => {
    expect(checkServerKnob('codeLifetimeS', 60)).toBeUndefined();
    expect(checkServerKnob('codeLifetimeS', 0)).toBe('codeLifetimeS must be between 1 and 3600');
    expect(checkServerKnob('intervalS', null)).toBeUndefined();
    expect(checkServerKnob('codeLifetimeS', null)).toBe('codeLifetimeS must be a whole number');
    expect(checkServerKnob('allowedScopes', ['profile', 'root'])).toMatch(/allowedScopes must be a list of/);
    expect(checkClientKnob('pollInterval', 'server')).toBeUndefined();
    expect(checkClientKnob('pollInterval', 1.5)).toMatch(/^expected 'server' or a whole number/);
  });

  it('diffs against the secure defaults and applies profile defaults under overrides', () => {
    expect(serverDiff({ ...DEFAULT_SERVER_KNOBS, defaultScopes: ['profile', 'projects:read'] })).toEqual({});
    expect(serverDiff({ codeLifetimeS: 60 })).toEqual({ codeLifetimeS: 60 });
    expect(clientDiff({ debug: 'off', storage: 'file-0644' })).toEqual({ storage: 'file-0644' });
    expect(effectiveServerKnobs({ profile: 'github' }).codeLifetimeS).toBe(900);
    expect(effectiveServerKnobs({ profile: 'github', codeLifetimeS: 30 }).codeLifetimeS).toBe(30);
  });
});
