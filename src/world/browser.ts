/**
 * A simulated browser for the identity provider's verification pages: it signs a person in, opens the
 * verification URI (with or without the code), enters a code and approves or denies, all over the wire
 * like a real browser would. The scripted user, the victim and the attacker each have one; the page's
 * browser frame (src/ui) drives the same calls.
 */
export interface VerificationPage {
  status: number;
  body: Record<string, unknown>;
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
    const res = await this.fetch(url, { headers: this.#headers() });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
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

  #headers(): Record<string, string> {
    return { accept: 'application/json', ...(this.session ? { 'x-session': this.session } : {}) };
  }

  async #post(sub: string, params: Record<string, string>): Promise<VerificationPage> {
    const res = await this.fetch(`${this.verificationUri}${sub}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.#headers() },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
}
