/**
 * A simulated browser for the identity provider's verification pages: it signs a person in, opens the
 * verification URI (with or without the code), enters a code and approves or denies, all over the wire
 * like a real browser would. The scripted user, the victim and the attacker each have one; the page's
 * browser frame (src/ui) drives the same calls.
 */
import { textOf } from '../protocol/bodyText.ts';
import { isErrorBody, parseVerificationBody, type ConsentDetails, type GrantRow, type VerificationBody } from '../sim/authServer/verificationView.ts';

export interface VerificationPage {
  status: number;
  /** The JSON body as it came. */
  body: Record<string, unknown>;
  /** The same body read once into the verification pages' typed union (undefined: none of its shapes). */
  view: VerificationBody | undefined;
}

async function pageOf(res: Response): Promise<VerificationPage> {
  // The answer's text when the server recorded it (src/protocol/bodyText.ts: the same string `json()` would
  // decode), else the body itself. A guessing run reads thousands of these: the stream costs more than the parse.
  const body = JSON.parse(await textOf(res)) as Record<string, unknown>;
  return { status: res.status, body, view: parseVerificationBody(body) };
}

export class SimBrowser {
  session: string | undefined;
  user: string | undefined;

  constructor(
    private readonly fetch: (input: Request | string | URL, init?: RequestInit) => Promise<Response>,
    readonly verificationUri: string,
  ) {}

  async signIn(user: string): Promise<VerificationPage> {
    const page = await this.#post('/signin', { user });
    if (page.status === 200) {
      this.session = page.body.session as string;
      this.user = user;
    }
    return page;
  }

  /** GET a verification URL (verification_uri or verification_uri_complete). */
  async open(url: string = this.verificationUri): Promise<VerificationPage> {
    return pageOf(await this.fetch(url, { headers: this.#headers() }));
  }

  enterCode(userCode: string): Promise<VerificationPage> {
    return this.#post('/enter', { user_code: userCode });
  }

  decide(userCode: string, decision: 'approve' | 'deny', scope?: string[]): Promise<VerificationPage> {
    return this.#post('/decision', { user_code: userCode, decision, ...(scope ? { scope: scope.join(' ') } : {}) });
  }

  async signOutEverywhere(): Promise<VerificationPage> {
    const page = await this.#post('/signout-everywhere', {});
    if (page.status === 200) {
      this.session = undefined;
      this.user = undefined;
    }
    return page;
  }

  /** The identity provider's list of this person's grants ("apps with access"). */
  listGrants(): Promise<VerificationPage> {
    return this.#post('/grants', {});
  }

  /** Revoke one of this person's grants at the identity provider. */
  revokeGrant(grantId: string): Promise<VerificationPage> {
    return this.#post('/revoke-grant', { grant_id: grantId });
  }

  #headers(): Record<string, string> {
    return { accept: 'application/json', ...(this.session ? { 'x-session': this.session } : {}) };
  }

  async #post(sub: string, params: Record<string, string>): Promise<VerificationPage> {
    const res = await this.fetch(`${this.verificationUri}${sub}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.#headers() },
      body: new URLSearchParams(params).toString(),
    });
    return pageOf(res);
  }
}

/** What the learner's browser frame shows: the verification pages (typed), plus the frame's own states. */
export type BrowserView =
  | { page: 'blank' }
  | { page: 'signin'; userCode?: string }
  | { page: 'enter_code'; message?: string; userCode?: string }
  | { page: 'confirm_code'; userCode: string }
  | { page: 'consent'; consent: ConsentDetails }
  | { page: 'approved' | 'denied'; message: string; grantedScope?: string }
  | { page: 'signed_out'; revokedGrants: number }
  /** The identity provider's "apps with access": the signed-in person's grants (no device: that is in the audit log). */
  | { page: 'grants'; grants: Array<{ id: string; client: string; approvedAt: number; scope: string; active: boolean }>; revoked?: string };

/**
 * The learner's browser as a tab: an address, the page it shows and a notice, driven over a `SimBrowser`
 * (which reads each answer into the typed union once). The page's browser frame renders `view`; nothing here
 * touches the DOM, so it runs headless as well.
 */
export class BrowserTab {
  url = '';
  view: BrowserView = { page: 'blank' };
  /** Said when the tab refuses an address (the simulated browser only opens the identity provider). */
  notice: string | undefined;

  constructor(readonly browser: SimBrowser) {}

  /** Who the tab is signed in as, if anyone. */
  get signedInAs(): string | undefined {
    return this.browser.user;
  }

  async navigate(url: string): Promise<void> {
    this.url = url;
    const code = safeUserCode(url);
    if (!url.startsWith(this.browser.verificationUri)) {
      this.view = { page: 'blank' };
      this.notice = `The simulated browser only opens the identity provider (${this.browser.verificationUri}).`;
      return;
    }
    if (!this.browser.session) {
      this.view = { page: 'signin', ...(code ? { userCode: code } : {}) };
      return;
    }
    this.#show((await this.browser.open(url)).view, code);
  }

  async signIn(user: string, userCode?: string): Promise<void> {
    await this.browser.signIn(user);
    if (userCode) {
      const page = await this.browser.open(`${this.browser.verificationUri}?user_code=${encodeURIComponent(userCode)}`);
      this.#show(page.view, userCode);
    } else this.view = { page: 'enter_code' };
  }

  async enterCode(userCode: string): Promise<void> {
    this.#show((await this.browser.enterCode(userCode)).view, userCode);
  }

  /**
   * Approve or deny the consent page on show (no-op on any other page), for the code it shows (or `userCode`,
   * the code as the person typed it).
   */
  async decide(decision: 'approve' | 'deny', scopes?: string[], userCode?: string): Promise<void> {
    const view = this.view;
    if (view.page !== 'consent') return;
    this.#show((await this.browser.decide(userCode ?? view.consent.user_code, decision, scopes)).view);
  }

  /** The identity provider's "sign out everywhere" (RFC 9700 §4.14.2): revokes every grant of the signed-in person. */
  async signOutEverywhere(): Promise<void> {
    const page = (await this.browser.signOutEverywhere()).view;
    this.view = { page: 'signed_out', revokedGrants: page && 'page' in page && page.page === 'signed_out' ? page.revoked_grants : 0 };
  }

  /** The identity provider's list of the signed-in person's grants. */
  async showGrants(revoked?: string): Promise<void> {
    const page = (await this.browser.listGrants()).view;
    const list: GrantRow[] = page && 'page' in page && page.page === 'grants' ? page.grants : [];
    this.view = {
      page: 'grants', ...(revoked ? { revoked } : {}),
      grants: list.map((g) => ({ id: g.grant_id, client: g.client, approvedAt: g.approved_at, scope: g.scope, active: g.active })),
    };
  }

  /** Revoke one grant at the identity provider (RFC 9700 §4.14.2), then show the list again (unless `relist` is false). */
  async revokeGrant(grantId: string, relist = true): Promise<void> {
    await this.browser.revokeGrant(grantId);
    if (relist) await this.showGrants(grantId);
  }

  #show(body: VerificationBody | undefined, userCode?: string): void {
    if (isErrorBody(body)) {
      this.view = { page: 'enter_code', message: body.message, ...(userCode ? { userCode } : {}) };
      return;
    }
    const page = body && 'page' in body ? body : undefined;
    switch (page?.page) {
      case 'confirm_code':
        this.view = { page: 'confirm_code', userCode: page.user_code };
        return;
      case 'consent': {
        const { page: _page, ...consent } = page;
        this.view = { page: 'consent', consent };
        return;
      }
      case 'approved':
        this.view = { page: 'approved', message: page.message, ...(page.granted_scope !== undefined ? { grantedScope: page.granted_scope } : {}) };
        return;
      case 'denied':
        this.view = { page: 'denied', message: page.message };
        return;
      default:
        this.view = { page: 'enter_code' };
    }
  }
}

/** The `user_code` query parameter of a verification URL, if any (untrusted: only used as text). */
function safeUserCode(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('user_code')?.slice(0, 64) ?? undefined;
  } catch {
    return undefined;
  }
}
