/**
 * The attacker: every move has a visible outcome (succeeded or blocked, and why). It reads whatever places
 * its position lets it read, replays what it found against the real server and API over the wire (from its
 * own address), polls with leaked device codes, phishes with its own device flow, guesses user codes, and enters
 * user codes it saw somewhere before their owner does.
 */
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { USER_CODE_ALPHABETS, formatUserCode, generateUserCode } from '../protocol/userCode.ts';
import { randomIndex } from '../protocol/random.ts';
import { createDpopProof, generateDpopKeyPair } from '../protocol/dpop-client.ts';
import type { WorldClock } from '../sim/clock.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import type { SimBrowser } from './browser.ts';
import type { Reader } from './host.ts';
import type { LedgerEntry } from './ledger.ts';

export type AttackMove =
  | 'read-places'
  | 'replay-access-token'
  | 'replay-refresh-token'
  | 'poll-device-code'
  | 'phish'
  | 'brute-force-user-codes'
  | 'enter-user-code'
  | 'replay-without-dpop-key';

export interface AttackOutcome {
  move: AttackMove;
  at: number;
  succeeded: boolean;
  /** Why it worked or what stopped it. */
  detail: string;
}

type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/** How a phishing victim decides at the consent page. */
export type VictimPolicy =
  /** Approves whatever the page asks. */
  | 'approves-anything'
  /** Denies when the page warns that a device elsewhere is asking and shows where it came from. */
  | 'reads-consent';

export interface AttackerDeps {
  clock: WorldClock;
  fetch: Fetch;
  issuer: string;
  apiBaseUrl: string;
  clientId: string;
  /** The attacker's own browser (signed in as the attacker's account). */
  browser: SimBrowser;
  /** The victim's browser, for phishing. */
  victimBrowser: SimBrowser;
  victimUser: string;
  attackerUser: string;
  ledger(): LedgerEntry[];
  serverKnobs(): ServerKnobs;
}

export class Attacker {
  readonly log: AttackOutcome[] = [];
  /** Secrets the attacker holds, newest last. */
  readonly loot = { access_token: [] as string[], refresh_token: [] as string[], device_code: [] as string[], user_code: [] as string[] };

  constructor(private readonly d: AttackerDeps) {}

  #record(move: AttackMove, succeeded: boolean, detail: string): AttackOutcome {
    const o = { move, at: this.d.clock.now(), succeeded, detail };
    this.log.push(o);
    return o;
  }

  /** Read every place that `position` can read and keep every secret found there. */
  readPlaces(position: Exclude<Reader, 'you'>): AttackOutcome {
    const found: string[] = [];
    for (const entry of this.d.ledger()) {
      const places = entry.places.filter((p) => p.readers.includes(position));
      if (!places.length || entry.kind === 'session') continue;
      const bag = this.loot[entry.kind as keyof Attacker['loot']];
      if (bag && !bag.includes(entry.value)) bag.push(entry.value);
      found.push(`${entry.kind.replace('_', ' ')} ${entry.fingerprint} in ${places.map((p) => p.label).join(', ')}`);
    }
    return found.length
      ? this.#record('read-places', true, `as ${position}: found ${found.join('; ')}`)
      : this.#record('read-places', false, `as ${position}: nothing secret is readable`);
  }

  async replayAccessToken(token = last(this.loot.access_token), call: { method: string; path: string } = { method: 'GET', path: '/api/projects' }): Promise<AttackOutcome> {
    if (!token) return this.#record('replay-access-token', false, 'no stolen access token to replay');
    const res = await this.d.fetch(`${this.d.apiBaseUrl}${call.path}`, { method: call.method, headers: { authorization: `Bearer ${token}` } });
    return res.ok
      ? this.#record('replay-access-token', true, `${call.method} ${call.path} answered ${res.status} for the stolen token`)
      : this.#record('replay-access-token', false, `${call.method} ${call.path} refused (${res.status}): ${challengeError(res)}`);
  }

  async replayRefreshToken(token = last(this.loot.refresh_token)): Promise<AttackOutcome> {
    if (!token) return this.#record('replay-refresh-token', false, 'no stolen refresh token to replay');
    const res = await this.#token({ grant_type: 'refresh_token', refresh_token: token });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.ok && typeof body.access_token === 'string') {
      this.loot.access_token.push(body.access_token);
      if (typeof body.refresh_token === 'string') this.loot.refresh_token.push(body.refresh_token);
      return this.#record('replay-refresh-token', true, 'the server issued fresh tokens to the attacker');
    }
    return this.#record('replay-refresh-token', false, `refused: ${String(body.error)}${body.error_description ? ` (${String(body.error_description)})` : ''}`);
  }

  /** Poll the token endpoint with a leaked device code, racing the CLI (F7). */
  async pollWithDeviceCode(deviceCode = last(this.loot.device_code)): Promise<AttackOutcome> {
    if (!deviceCode) return this.#record('poll-device-code', false, 'no leaked device code');
    const res = await this.#token({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.ok && typeof body.access_token === 'string') {
      this.loot.access_token.push(body.access_token);
      if (typeof body.refresh_token === 'string') this.loot.refresh_token.push(body.refresh_token);
      return this.#record('poll-device-code', true, 'the attacker redeemed the device code first and holds the tokens');
    }
    return this.#record('poll-device-code', false, `refused: ${String(body.error)}`);
  }

  /** Present a DPoP-bound token without its key: as Bearer, then with a proof from the attacker's own key (F20). */
  async replayWithoutDpopKey(token = last(this.loot.access_token), path = '/api/projects'): Promise<AttackOutcome> {
    if (!token) return this.#record('replay-without-dpop-key', false, 'no stolen access token');
    const url = `${this.d.apiBaseUrl}${path}`;
    const asBearer = await this.d.fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (asBearer.ok) return this.#record('replay-without-dpop-key', true, 'the token works as a plain bearer token: it is not sender-constrained');
    const key = await generateDpopKeyPair();
    const proof = await createDpopProof({ key, method: 'GET', url, nowMs: this.d.clock.now(), accessToken: token });
    const withOwnKey = await this.d.fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    return withOwnKey.ok
      ? this.#record('replay-without-dpop-key', true, 'the API accepted a proof from the attacker\'s own key')
      : this.#record('replay-without-dpop-key', false, `refused as Bearer (${challengeError(asBearer)}) and with the attacker's own key (${challengeError(withOwnKey)})`);
  }

  /**
   * Device-code phishing (F15-F17): start a device flow from the attacker's machine, send the victim the link,
   * let the victim decide from what the page shows, then poll once for the tokens.
   */
  async phish(policy: VictimPolicy): Promise<AttackOutcome> {
    const res = await this.d.fetch(`${this.d.issuer}/device_authorization`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: this.d.clientId }).toString(),
    });
    const da = (await res.json()) as Record<string, string>;
    if (!res.ok) return this.#record('phish', false, `could not start a device flow: ${da.error}`);
    const link = da.verification_uri_complete ?? da.verification_uri ?? da.verification_url ?? '';
    const victim = this.d.victimBrowser;
    if (!victim.session) await victim.signIn(this.d.victimUser);
    const landing = await victim.open(link.includes('user_code=') ? link : `${link}?user_code=${encodeURIComponent(da.user_code ?? '')}`);
    let decided = landing.body.page === 'approved' ? 'approved by opening the link (one-click)' : '';
    if (!decided) {
      const consent = await victim.enterCode(da.user_code ?? '');
      if (consent.status !== 200) return this.#record('phish', false, `the victim could not use the code: ${String(consent.body.message)}`);
      const suspicious = typeof consent.body.warning === 'string' && consent.body.device !== undefined;
      if (policy === 'reads-consent' && suspicious) {
        await victim.decide(da.user_code ?? '', 'deny');
        return this.#record('phish', false, 'the consent page showed where the request came from and warned the victim, who denied it');
      }
      await victim.decide(da.user_code ?? '', 'approve');
      decided = suspicious ? 'approved despite the warning' : 'approved: the consent page gave no context to doubt it';
    }
    const poll = await this.#token({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code ?? '' });
    const body = (await poll.json()) as Record<string, unknown>;
    if (poll.ok && typeof body.access_token === 'string') {
      this.loot.access_token.push(body.access_token);
      if (typeof body.refresh_token === 'string') this.loot.refresh_token.push(body.refresh_token);
      return this.#record('phish', true, `the victim ${decided}; the attacker's terminal now holds the victim's tokens`);
    }
    return this.#record('phish', false, `the victim ${decided}, but the poll failed: ${String(body.error)}`);
  }

  /**
   * Session spying (F19, RFC 8628 §5.5): enter a user code the attacker saw (over a shoulder, on a shared screen,
   * in a log) at the verification page, signed in as the attacker, and approve it before the person who started
   * the login does. The device that asked is then signed in to the attacker's account.
   */
  async enterUserCode(userCode = last(this.loot.user_code)): Promise<AttackOutcome> {
    if (!userCode) return this.#record('enter-user-code', false, 'no user code seen yet');
    const shown = formatUserCode(userCode, USER_CODE_ALPHABETS[this.d.serverKnobs().userCodeAlphabet]);
    const b = this.d.browser;
    if (!b.session) await b.signIn(this.d.attackerUser);
    const entered = await b.enterCode(shown);
    if (entered.status !== 200) return this.#record('enter-user-code', false, `code ${shown} refused: ${String(entered.body.message ?? entered.body.error)}`);
    const decided = await b.decide(shown, 'approve');
    if (decided.status !== 200) return this.#record('enter-user-code', false, `code ${shown} could not be approved: ${String(decided.body.message ?? decided.body.error)}`);
    return this.#record('enter-user-code', true,
      `entered code ${shown} and approved it as ${this.d.attackerUser} before its owner did: the device that asked gets ${this.d.attackerUser}'s account`);
  }

  /** Guess user codes at the verification page, signed in as the attacker (F18); a hit is approved with the attacker's own account. */
  async bruteForceUserCodes(attempts: number): Promise<AttackOutcome> {
    const knobs = this.d.serverKnobs();
    const alphabet = USER_CODE_ALPHABETS[knobs.userCodeAlphabet];
    const b = this.d.browser;
    if (!b.session) await b.signIn(this.d.attackerUser);
    const tried = new Set<string>();
    // A code space no larger than the budget is walked in a random order, so every code is tried exactly once.
    const walk = alphabet.length ** knobs.userCodeLength <= attempts ? shuffledCodeSpace(alphabet, knobs.userCodeLength) : undefined;
    for (let i = 0; i < attempts; i++) {
      if (walk && i >= walk.length) break;
      let guess = walk ? walk[i]! : generateUserCode(alphabet, knobs.userCodeLength);
      for (let spins = 0; !walk && tried.has(guess) && spins < 50; spins++) guess = generateUserCode(alphabet, knobs.userCodeLength);
      tried.add(guess);
      const shown = formatUserCode(guess, alphabet);
      const page = await b.enterCode(shown);
      if (page.status === 429) return this.#record('brute-force-user-codes', false, `locked out after ${i} wrong codes (attempt limit)`);
      if (page.status === 200) {
        await b.decide(shown, 'approve');
        this.loot.user_code.push(guess);
        return this.#record('brute-force-user-codes', true, `guessed live code ${shown} after ${i + 1} tries and approved it as ${this.d.attackerUser}`);
      }
    }
    return this.#record('brute-force-user-codes', false, `no live code found in ${tried.size} tries`);
  }

  #token(params: Record<string, string>): Promise<Response> {
    return this.d.fetch(`${this.d.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: this.d.clientId, ...params }).toString(),
    });
  }
}

/** Every code of `length` characters over `alphabet`, in a uniformly random order (Fisher-Yates). */
export function shuffledCodeSpace(alphabet: string, length: number): string[] {
  let codes: string[] = [''];
  for (let pos = 0; pos < length; pos++) codes = codes.flatMap((prefix) => [...alphabet].map((ch) => prefix + ch));
  for (let i = codes.length - 1; i > 0; i--) {
    const j = randomIndex(i + 1);
    [codes[i], codes[j]] = [codes[j]!, codes[i]!];
  }
  return codes;
}

function last<T>(xs: T[]): T | undefined {
  return xs[xs.length - 1];
}

function challengeError(res: Response): string {
  const h = res.headers.get('www-authenticate') ?? '';
  return /error="([^"]+)"/.exec(h)?.[1] ?? `HTTP ${res.status}`;
}
