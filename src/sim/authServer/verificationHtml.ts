/**
 * The verification pages as HTML, for a real browser pointed at `npm run idp` (a team's CLI that opens the
 * browser lands here). Same handlers, same rules; only the presentation differs: the JSON page descriptions
 * become small server-rendered forms. Every value is escaped; the pages carry a strict CSP (no script at
 * all, a per-response style nonce, forms only to this origin, no framing).
 */
import { randomSecret } from '../../protocol/random.ts';
import type { Registry } from '../registry.ts';
import type { ConsentDetails, VerificationBody } from './verificationView.ts';

/** A real browser asks for HTML; the simulated browser sends `X-Session` and asks for JSON. */
export function wantsHtml(request: Request): boolean {
  return !request.headers.has('x-session') && /text\/html/i.test(request.headers.get('accept') ?? '');
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface HtmlContext {
  /** The verification URI (form targets hang below it). */
  base: string;
  registry: Registry;
  /** The user code the person is working with, when known (carried through sign-in). */
  userCode?: string;
  /** The page came from signing in (no `page` member in the JSON). */
  afterSignIn?: boolean;
}

/** Render a verification API answer (status and JSON body) as an HTML page. */
export function renderVerificationHtml(status: number, body: VerificationBody, ctx: HtmlContext, headers: Headers): Response {
  const nonce = randomSecret(16);
  const h = new Headers({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'X-Content-Type-Options': 'nosniff',
  });
  for (const c of headers.getSetCookie()) h.append('Set-Cookie', c);
  const { title, main } = pageFor(status, body, ctx);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}
code{font-size:1.4rem;letter-spacing:.1em}.warn{border-left:4px solid #b45309;padding-left:.75rem}
button{font:inherit;padding:.4rem 1rem;margin-right:.5rem}label{display:block;margin:.3rem 0}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${main}
</main></body></html>`;
  // A page that re-renders a form with a message is a successful page for a browser (a 4xx document would
  // also be logged as a console error); the JSON API keeps the precise status.
  return new Response(html, { status: status === 404 ? 404 : 200, headers: h });
}

function form(action: string, inner: string): string {
  return `<form method="post" action="${escapeHtml(action)}">${inner}</form>`;
}

function hidden(name: string, value: string | undefined): string {
  return value ? `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">` : '';
}

function signInPage(ctx: HtmlContext): { title: string; main: string } {
  const options = ctx.registry.users.map((u) => `<option value="${escapeHtml(u.id)}">${escapeHtml(u.name)} (${escapeHtml(u.email)})</option>`).join('');
  return {
    title: 'Sign in',
    main: form(`${ctx.base}/signin`, `<label for="user">Account</label><select id="user" name="user">${options}</select>
${hidden('user_code', ctx.userCode)}<p><button type="submit">Sign in</button></p>`),
  };
}

function enterCodePage(ctx: HtmlContext, message?: string): { title: string; main: string } {
  return {
    title: 'Connect a device',
    main: `${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
${form(`${ctx.base}/enter`, `<label for="user_code">Enter the code shown on your device</label>
<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" value="${escapeHtml(ctx.userCode ?? '')}">
<p><button type="submit">Continue</button></p>`)}`,
  };
}

function pageFor(status: number, body: VerificationBody, ctx: HtmlContext): { title: string; main: string } {
  if ('error' in body) {
    if (body.error === 'login_required') return signInPage(ctx);
    return enterCodePage(ctx, body.message ?? body.error);
  }
  if (ctx.afterSignIn) return ctx.userCode ? confirmPage(ctx.userCode, ctx) : enterCodePage(ctx);
  if (!('page' in body)) return { title: 'Device sign-in', main: `<p>Status ${escapeHtml(status)}.</p>` };
  switch (body.page) {
    case 'enter_code':
      return body.signed_in ? enterCodePage(ctx) : signInPage(ctx);
    case 'confirm_code':
      return body.signed_in ? confirmPage(body.user_code, ctx) : signInPage({ ...ctx, userCode: body.user_code });
    case 'consent':
      return consentPage(body, ctx);
    case 'approved':
      return { title: 'Device connected', main: `<p>${escapeHtml(body.message)}</p>` };
    case 'denied':
      return { title: 'Request denied', main: `<p>Nothing was shared with the device. ${escapeHtml(body.message)}</p>` };
    case 'signed_out':
      return { title: 'Signed out everywhere', main: `<p>${escapeHtml(body.revoked_grants)} session(s) revoked.</p>` };
    case 'grants': {
      const grants = body.grants;
      const rows = grants.map((g) => `<li>${escapeHtml(g.client)}, grant <code>${escapeHtml(g.grant_id)}</code> (${escapeHtml(g.scope)})${g.active
        ? form(`${ctx.base}/revoke-grant`, `${hidden('grant_id', g.grant_id)}<button type="submit">Revoke</button>`) : ' revoked'}</li>`).join('');
      return { title: 'Apps with access', main: grants.length ? `<ul>${rows}</ul>` : '<p>No app has access to your account.</p>' };
    }
    case 'grant_revoked':
      return { title: 'Access revoked', main: `<p>Grant <code>${escapeHtml(body.grant_id)}</code> was revoked.</p>` };
    default:
      return { title: 'Device sign-in', main: `<p>Status ${escapeHtml(status)}.</p>` };
  }
}

/** RFC 8628 §3.3.1: arriving with the code in the link, the person confirms it matches the device. */
function confirmPage(userCode: string, ctx: HtmlContext): { title: string; main: string } {
  return {
    title: 'Check the code',
    main: `<p>Does your device show this code?</p><p><code>${escapeHtml(userCode)}</code></p>
<p class="warn">If you did not start this on your own device just now, close this page.</p>
${form(`${ctx.base}/enter`, `${hidden('user_code', userCode)}<p><button type="submit">Yes, it matches</button></p>`)}`,
  };
}

function consentPage(body: ConsentDetails, ctx: HtmlContext): { title: string; main: string } {
  const client: { name?: string } = body.client ?? {};
  const userCode = body.user_code ?? '';
  const scopes = body.scopes ?? [];
  const device = body.device;
  const lifetime = typeof body.access_token_lifetime_s === 'number' ? `${Math.round(body.access_token_lifetime_s / 60)} minutes` : undefined;
  const scopeBoxes = scopes.length
    ? `<fieldset><legend>It asks to</legend>${scopes.map((s) => `<label><input type="checkbox" name="scope:${escapeHtml(s.name)}" checked> ${escapeHtml(s.description)} <small>(${escapeHtml(s.name)})</small></label>`).join('')}</fieldset>${hidden('scope_form', '1')}`
    : '';
  const details = [
    device ? `<li>Requested from ${escapeHtml(device.ip)} (${escapeHtml(device.user_agent)})</li>` : '',
    lifetime ? `<li>Access lasts ${escapeHtml(lifetime)}${body.refresh_token ? ' and can be renewed until you sign out' : ''}</li>` : '',
  ].join('');
  return {
    title: `Allow ${client.name ?? 'this device'}?`,
    main: `${body.warning ? `<p class="warn">${escapeHtml(body.warning)}</p>` : ''}
<p>Code <code>${escapeHtml(userCode)}</code></p>${details ? `<ul>${details}</ul>` : ''}
${form(`${ctx.base}/decision`, `${hidden('user_code', userCode)}${scopeBoxes}
<p><button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="deny">Deny</button></p>`)}`,
  };
}
