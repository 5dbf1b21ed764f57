/**
 * Test helpers for real servers on loopback, shared by the interop tests of the CLI machine and of the Node CLI
 * (src/cli): a node:http server on 127.0.0.1 whose handler is set once its origin is known, and the user's
 * browser on oidc-provider's own verification, login and consent pages (fetch with a small cookie jar).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------------------------------------
// Loopback servers

export interface Loopback {
  server: Server;
  origin: string;
  /** Set once the origin is known (oidc-provider needs its issuer before it can handle requests). */
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
}

export async function listenOnLoopback(): Promise<Loopback> {
  const lb: Pick<Loopback, 'handler'> = {};
  const server = createServer((req, res) => {
    if (lb.handler) lb.handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return Object.assign(lb, { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

export async function close(lb: Loopback | undefined): Promise<void> {
  if (!lb) return;
  lb.server.closeAllConnections();
  await new Promise<void>((resolve) => lb.server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------------------------
// The user's browser: oidc-provider's verification and interaction pages, through fetch with a cookie jar

export interface Page {
  url: string;
  status: number;
  html: string;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

const decodeHtml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F|#47);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x2F': '/', '#47': '/' })[e] ?? _m);

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? decodeHtml(m[1]!) : undefined;
}

export class Browser {
  readonly #jar: Cookie[] = [];
  /** Every page visited, for failure messages. */
  readonly trail: string[] = [];

  /** GET or POST, following redirects like a browser (303/302 → GET). */
  async go(url: string, form?: URLSearchParams): Promise<Page> {
    let target = new URL(url);
    let init: RequestInit = form ? { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : { method: 'GET' };
    for (let hops = 0; hops < 10; hops++) {
      const headers = new Headers(init.headers);
      const cookie = this.#cookiesFor(target);
      if (cookie) headers.set('cookie', cookie);
      const response = await fetch(target, { ...init, headers, redirect: 'manual' });
      this.#store(target, response.headers.getSetCookie());
      this.trail.push(`${init.method} ${target.pathname} → ${response.status}`);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        target = new URL(location, target);
        init = { method: 'GET' };
        continue;
      }
      return { url: target.href, status: response.status, html: await response.text() };
    }
    throw new Error(`too many redirects: ${this.trail.join(', ')}`);
  }

  /** Submit a form on the page (by id, or the first one) with its hidden inputs plus `fill`. */
  async submit(page: Page, fill: Record<string, string>, formId?: string): Promise<Page> {
    const forms = [...page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
    const form = formId ? forms.find((f) => attribute(f[1]!, 'id') === formId) : forms[0];
    if (!form) throw new Error(`no form${formId ? ` #${formId}` : ''} on ${page.url} (${page.status}): ${page.html.slice(0, 500)}`);
    const fields = new URLSearchParams();
    for (const [input] of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input, 'name');
      if (name && !(name in fill)) fields.set(name, attribute(input, 'value') ?? '');
    }
    for (const [name, value] of Object.entries(fill)) fields.set(name, value);
    return this.go(new URL(attribute(form[1]!, 'action') ?? page.url, page.url).href, fields);
  }

  #cookiesFor(url: URL): string {
    return this.#jar
      .filter((c) => c.path === '/' || url.pathname === c.path || url.pathname.startsWith(`${c.path.replace(/\/$/, '')}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  #store(url: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) || url.pathname.replace(/\/[^/]*$/, '') || '/';
      const expires = attrs.find((a) => /^expires=/i.test(a))?.slice(8);
      const maxAge = attrs.find((a) => /^max-age=/i.test(a))?.slice(8);
      const gone = value === '' || (expires !== undefined && Date.parse(expires) <= Date.now()) || (maxAge !== undefined && Number(maxAge) <= 0);
      const i = this.#jar.findIndex((c) => c.name === name && c.path === path);
      if (i >= 0) this.#jar.splice(i, 1);
      if (!gone) this.#jar.push({ name, value, path });
    }
  }
}

/**
 * What the user does after reading the terminal: open the verification URI, type the user code, confirm the
 * device, sign in (devInteractions accept any login) and consent. Returns the final page.
 */
export async function approveInBrowser(verificationUri: string, userCode: string, login: string): Promise<{ page: Page; trail: string[] }> {
  const browser = new Browser();
  const entry = await browser.go(verificationUri);
  const confirm = await browser.submit(entry, { user_code: userCode }, 'op.deviceInputForm');
  expectPage(confirm, userCode, browser);
  const signIn = await browser.submit(confirm, {}, 'op.deviceConfirmForm');
  expectPage(signIn, 'name="login"', browser);
  const consent = await browser.submit(signIn, { login, password: 'any' });
  expectPage(consent, 'value="consent"', browser);
  const page = await browser.submit(consent, {});
  return { page, trail: browser.trail };
}

function expectPage(page: Page, needle: string, browser: Browser): void {
  if (!page.html.includes(needle)) throw new Error(`expected ${JSON.stringify(needle)} on ${page.url} (${page.status}); pages: ${browser.trail.join(', ')}`);
}
