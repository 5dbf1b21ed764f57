/**
 * Lab 06: the credentials file (F8, F9). On a shared host the CLI wrote its tokens to a 0644 file; bob, another
 * local user, copied them and used them. The learner kills the stolen copy with a real logout (revocation at
 * the server), then tries what many CLIs ship as the safe choice, "keychain, else plaintext": this server has
 * no keyring, so one warning scrolls by and the token lands in a plaintext file the learner never chose (F9).
 * The lab ends with storage that fails loudly or that the learner picked on purpose, and no silently written
 * session left alive.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

/** Every token the attacker took is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.provider.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false)
    && world.provider.audit('token.revoked').length > 0;
}

/** When the CLI saved a session to its plaintext fallback because the keyring was missing (F9). */
const fallbackSaves = (w: World) => w.emitted.filter((e) => e.type === 'cli.store' && e.action === 'save' && e.fellBack === true).map((e) => e.at);

/** The CLI's current session (its latest tokens) was saved to the plaintext fallback. */
function lastSaveFellBack(w: World): boolean {
  const latest = w.provider.audit('token.issued').at(-1)?.at;
  return latest !== undefined && fallbackSaves(w).some((at) => at >= latest);
}

/** Grants whose tokens the CLI saved to the fallback file: the latest grant issued to the CLI at each fallback save. */
function silentlySavedGrants(w: World): string[] {
  const issued = w.provider.audit('token.issued');
  return fallbackSaves(w).map((at) => issued.filter((e) => e.at <= at).at(-1)?.grantId).filter((g): g is string => g !== undefined);
}

/** A silently saved session the server still honours (its grant is not revoked and one of its tokens works). */
function silentSessionAlive(w: World): boolean {
  const usable = w.provider.usableValues();
  const tokens = [...w.provider.accessTokens(), ...w.provider.refreshTokens()];
  return silentlySavedGrants(w).some((g) => tokens.some((t) => t.grantId === g && usable.has(t.value)));
}

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];
const LOOK: LabStep = { do: 'type', line: 'ls -la ~/.config/acme' };

export default defineLab({
  setup: {
    world: {
      host: { kind: 'shared-host', otherUsers: ['bob'] },
      clientKnobs: { storage: 'file-0644' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 1,
    showcases: [
      {
        failureMode: 'F9',
        step: 6,
        // The warning scrolled by and the listing shows the plaintext file the CLI chose by itself.
        shows: (w) => lastSaveFellBack(w) && w.terminal().some((l) => l.startsWith('warning: no OS keyring found'))
          && [...w.host.files.keys()].includes(w.host.paths.credentials),
      },
    ],
    learnerKnobs: { client: ['storage', 'logout'] },
    // Yesterday: alice logged in; bob read her world-readable credentials file and used the token.
    prelude: [
      ...LOGIN,
      { do: 'advance', seconds: 60 },
      { do: 'attack', move: 'read-places', as: 'other local users' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'stolen-copy-dead',
      text: 'Make the tokens bob copied worthless: the server must refuse every one of them.',
      holds: (w) => need(stolenCopyDead(w), 'the server still accepts the tokens bob copied from your credentials file') ?? true,
    },
    {
      id: 'spot-the-fallback',
      text: 'Try the setting many CLIs ship as the safe one, `storage: keychain-or-plaintext`, and log in. This server has no keyring: find where your token really went with `ls -la ~/.config/acme`.',
      holds: (w) => {
        const first = fallbackSaves(w)[0];
        const dir = w.host.paths.configDir;
        return need(first !== undefined, 'the CLI has not yet saved a session with no keyring to hand: with `keychain-or-plaintext` it falls back to a file')
          ?? need(w.host.shellHistory.some((h) => h.at >= first! && /^ls\b/.test(h.text) && h.text.includes(dir)),
            'one warning scrolled by, but you have not looked at the CLI\'s directory since: the token is in a plaintext file')
          ?? true;
      },
    },
    {
      id: 'private-credentials',
      text: 'Log in again so that no token the server still accepts is readable by another local user, and none sits in plaintext where the CLI put it without asking: storage that fails loudly (`keychain`), or a `0600` file you chose.',
      holds: (w) => need(stolenCopyDead(w), 'bob\'s copy still works, so the next session would share the server with it')
        ?? need(w.state().startsWith('authenticated') && w.provider.audit('token.issued').length >= 2, 'you have not logged in again since revoking')
        ?? need(!w.ledger().some((e) => e.usable && e.exposedTo.includes('other local users')), 'another local user can read a token the server still accepts')
        ?? need(!lastSaveFellBack(w), 'the CLI\'s last login fell back to a plaintext file after one warning: you asked for the keychain and got a file')
        ?? need(!silentSessionAlive(w), 'the session the CLI silently saved in plaintext is still alive at the server: log it out before you change storage')
        ?? true,
    },
  ],
  solution: [
    LOOK,
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { storage: 'keychain-or-plaintext' } },
    ...LOGIN,
    LOOK,
    // The plaintext file was not a choice: end that session, then store where it fails loudly.
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { storage: 'keychain' } },
    ...LOGIN,
    LOOK,
  ],
  nearMisses: [
    {
      name: 'fixing the file\'s mode without logging out: bob already has the values',
      objective: 'stolen-copy-dead',
      steps: [{ do: 'knobs', client: { storage: 'file-0600' } }, ...LOGIN],
    },
    {
      name: 'a local-only logout: the file is gone, bob\'s copy is not',
      objective: 'stolen-copy-dead',
      steps: [{ do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }],
    },
    {
      name: 'logging in with the fallback setting and not looking where the token went',
      objective: 'spot-the-fallback',
      after: 5,
      steps: [],
      ticks: ['stolen-copy-dead'],
    },
    {
      name: 'the silent plaintext fallback as the fix: owner-only, but a file nobody chose',
      objective: 'private-credentials',
      after: 6,
      steps: [],
      ticks: ['stolen-copy-dead', 'spot-the-fallback'],
    },
    {
      name: 'switching to `keychain` without ending the silently saved session: it still works from the plaintext file',
      objective: 'private-credentials',
      after: 6,
      steps: [{ do: 'knobs', client: { storage: 'keychain' } }, ...LOGIN],
      ticks: ['stolen-copy-dead', 'spot-the-fallback'],
    },
    {
      name: 'keeping the 0644 file after revoking: the new tokens are readable by bob again',
      objective: 'private-credentials',
      steps: [{ do: 'type', line: 'acme logout' }, ...LOGIN],
      ticks: ['stolen-copy-dead'],
    },
  ],
});
