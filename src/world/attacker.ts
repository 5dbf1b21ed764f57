/**
 * The attacker: every move has a visible outcome (succeeded or blocked, and why). It reads whatever places
 * its position lets it read, replays what it found against the real server and API over the wire (from its
 * own address), polls with leaked device codes, phishes with its own device flow, guesses user codes, and enters
 * user codes it saw somewhere before their owner does.
 */
import { textOf } from '../protocol/bodyText.ts';
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
  | 'qr-phish'
  | 'brute-force-user-codes'
  | 'enter-user-code'
  | 'replay-without-dpop-key';

export interface AttackOutcome {
  move: AttackMove;
  at: number;
  /** The world's event order (shared with `World.emitted`): orders moves and CLI events at the same clock time. */
  seq: number;
  succeeded: boolean;
  /** Why it worked or what stopped it. */
  detail: string;
}

type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/** How a phishing victim decides at the consent page. */
export type VictimPolicy =
  /** Approves whatever the page asks. */
  | 'approves-anything'
  /**
   * Reads the consent page. Phished by mail (she started nothing): denies when the page warns that a device
   * elsewhere is asking and shows where it came from. Phished by a QR-code lure (she did just start it, on the
   * lure's page): denies when the page names another app than the one the lure promised.
   */
  | 'reads-consent';

/** The app a QR-code lure pretends to open: a registered client whose name fits a "scan to open" page. */
export interface LureApp {
  clientId: string;
  name: string;
}

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
  /** The world's next event number (default: the attacker's own count). */
  nextSeq?(): number;
  /** What a QR-code lure pretends to open (default: the CLI itself). */
  lureApp?: LureApp;
}

export class Attacker {
  readonly log: AttackOutcome[] = [];
  /** Secrets the attacker holds, newest last. */
  readonly loot = { access_token: [] as string[], refresh_token: [] as string[], device_code: [] as string[], user_code: [] as string[] };

  constructor(private readonly d: AttackerDeps) {}

  #record(move: AttackMove, succeeded: boolean, detail: string): AttackOutcome {
    const o = { move, at: this.d.clock.now(), seq: this.d.nextSeq?.() ?? this.log.length + 1, succeeded, detail };
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
    const body = JSON.parse(await textOf(res)) as Record<string, unknown>;
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
    const body = JSON.parse(await textOf(res)) as Record<string, unknown>;
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
   * Device-code phishing (F15-F17): start a device flow from the attacker's machine, send the victim (`target`,
   * default the world's person) the link, let the victim decide from what the page shows, then poll once for the
   * tokens.
   */
  async phish(policy: VictimPolicy, target = this.d.victimUser): Promise<AttackOutcome> {
    const { res, da } = await this.#startFlow(this.d.clientId);
    if (!res.ok) return this.#record('phish', false, `could not start a device flow: ${da.error}`);
    const link = da.verification_uri_complete ?? da.verification_uri ?? da.verification_url ?? '';
    const victim = await this.#victim(target);
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
    const body = JSON.parse(await textOf(poll)) as Record<string, unknown>;
    if (poll.ok && typeof body.access_token === 'string') {
      this.loot.access_token.push(body.access_token);
      if (typeof body.refresh_token === 'string') this.loot.refresh_token.push(body.refresh_token);
      return this.#record('phish', true, `the victim ${decided}; the attacker's terminal now holds the victim's tokens`);
    }
    return this.#record('phish', false, `the victim ${decided}, but the poll failed: ${String(body.error)}`);
  }

  /**
   * QR-code device-code phishing (F15; the SquarePhish technique): a page of the attacker's ("scan to open the
   * shared file in <app>") starts a device flow only when the victim scans or clicks, so the code is seconds old
   * whatever its lifetime, and the victim did start this herself, just now. The flow is started as the app the
   * lure names when the identity provider lets that app use the device grant, otherwise as the CLI (the one public
   * client that has it). The page shows the fresh code and sends the victim to the verification page.
   */
  async qrPhish(policy: VictimPolicy, target = this.d.victimUser): Promise<AttackOutcome> {
    const lure = this.d.lureApp ?? { clientId: this.d.clientId, name: 'the CLI' };
    const notes: string[] = [];
    let started = await this.#startFlow(lure.clientId);
    let client = lure.name;
    let usedClientId = lure.clientId;
    if (!started.res.ok && lure.clientId !== this.d.clientId) {
      notes.push(`the identity provider refused a device flow as ${lure.name} (${String(started.da.error)}), so the page fell back to the CLI's client`);
      started = await this.#startFlow(this.d.clientId);
      client = 'the CLI';
      usedClientId = this.d.clientId;
    }
    const { res, da } = started;
    if (!res.ok) return this.#record('qr-phish', false, [...notes, `could not start a device flow: ${String(da.error)}`].join('; '));
    const lifetime = Number(da.expires_in);
    notes.push(`the victim scanned the QR code "open the shared file in ${lure.name}"; the attacker's server started a device flow as ${client} that second (code ${da.user_code}, minted as she scanned, so its ${lifetime} s lifetime had only just begun)`);
    const victim = await this.#victim(target);
    const link = da.verification_uri_complete ?? `${da.verification_uri ?? da.verification_url ?? ''}?user_code=${encodeURIComponent(da.user_code ?? '')}`;
    const landing = await victim.open(link);
    let decided = landing.body.page === 'approved' ? 'approved by opening the link (one-click)' : '';
    if (!decided) {
      const consent = await victim.enterCode(da.user_code ?? '');
      if (consent.status !== 200) {
        return this.#record('qr-phish', false, [...notes, `the victim could not use the code: ${String(consent.body.message ?? consent.body.error)}`].join('; '));
      }
      const named = (consent.body.client as { name?: unknown } | undefined)?.name;
      if (policy === 'reads-consent' && named !== lure.name) {
        await victim.decide(da.user_code ?? '', 'deny');
        return this.#record('qr-phish', false, [...notes, `the consent page named ${String(named)}, not the ${lure.name} the lure promised, and the victim denied it`].join('; '));
      }
      await victim.decide(da.user_code ?? '', 'approve');
      decided = `approved: she had just started it herself, and the consent page named ${String(named)}, as the lure promised`;
      if (policy === 'approves-anything') decided = `approved what the consent page asked (${String(named)})`;
    }
    const poll = await this.#token({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code ?? '' }, usedClientId);
    const body = JSON.parse(await textOf(poll)) as Record<string, unknown>;
    if (poll.ok && typeof body.access_token === 'string') {
      this.loot.access_token.push(body.access_token);
      if (typeof body.refresh_token === 'string') this.loot.refresh_token.push(body.refresh_token);
      return this.#record('qr-phish', true, [...notes, `the victim ${decided}; the attacker's terminal now holds the victim's tokens`].join('; '));
    }
    return this.#record('qr-phish', false, [...notes, `the victim ${decided}, but the poll failed: ${String(body.error)}`].join('; '));
  }

  async #startFlow(clientId: string): Promise<{ res: Response; da: Record<string, string> }> {
    const res = await this.d.fetch(`${this.d.issuer}/device_authorization`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: clientId }).toString(),
    });
    return { res, da: JSON.parse(await textOf(res)) as Record<string, string> };
  }

  /** The victim's browser, signed in as `target`. */
  async #victim(target: string): Promise<SimBrowser> {
    const victim = this.d.victimBrowser;
    if (!victim.session || victim.user !== target) await victim.signIn(target);
    return victim;
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

  #token(params: Record<string, string>, clientId = this.d.clientId): Promise<Response> {
    return this.d.fetch(`${this.d.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: clientId, ...params }).toString(),
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
