/**
 * The verification pages as they cross the fetch boundary: one typed union of the JSON bodies the
 * verification API (verification.ts) answers with. The server produces these, the HTML pages
 * (verificationHtml.ts) render them for a real browser, and the simulated browser (src/world/browser.ts)
 * parses a response body into them once, so the page's browser frame renders the same union.
 * Member names are the wire's (snake_case): this is the JSON, typed.
 */
import type { VerificationError } from './verification.ts';

export interface ConsentScope {
  name: string;
  description: string;
}

/** What the consent page shows (RFC 6749 §10.2, RFC 8628 §5.4); `minimal` carries only the client (F16). */
export interface ConsentDetails {
  user_code: string;
  client: { id: string; name: string };
  detail: 'minimal' | 'full';
  scopes?: ConsentScope[];
  resource?: { id: string; name: string };
  access_token_lifetime_s?: number;
  refresh_token?: boolean;
  requested_at?: number;
  device?: { ip: string; user_agent: string };
  warning?: string;
}

/** One row of the signed-in person's "apps with access". */
export interface GrantRow {
  grant_id: string;
  client: string;
  approved_at: number;
  scope: string;
  active: boolean;
}

export type SignedIn = { id: string } | null;

/** A page of the verification flow. */
export type VerificationPageBody =
  | { page: 'enter_code'; signed_in: SignedIn }
  | { page: 'confirm_code'; signed_in: SignedIn; user_code: string; message: string }
  | ({ page: 'consent' } & ConsentDetails)
  | { page: 'approved'; message: string; granted_scope?: string }
  | { page: 'denied'; message: string }
  | { page: 'signed_out'; revoked_grants: number }
  | { page: 'grants'; grants: GrantRow[] }
  | { page: 'grant_revoked'; grant_id: string };

/** A refusal, shown to a person (not an OAuth error). */
export interface VerificationErrorBody {
  error: VerificationError;
  message: string;
  attempts_left?: number | null;
  detail?: string;
  allow?: string;
}

/** The answer to signing in: the session (also set as a cookie) and who it is. */
export interface SignedInBody {
  session: string;
  user: { id: string; name: string; email: string };
}

export type VerificationBody = VerificationPageBody | VerificationErrorBody | SignedInBody;

const PAGES: ReadonlySet<string> = new Set<VerificationPageBody['page']>([
  'enter_code', 'confirm_code', 'consent', 'approved', 'denied', 'signed_out', 'grants', 'grant_revoked',
]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Read a verification response body (parsed JSON) as the union, checking each member's type: a value of the
 * wrong type is dropped (or defaulted), never trusted. `undefined` when it is none of the known shapes.
 */
export function parseVerificationBody(json: unknown): VerificationBody | undefined {
  if (!isRecord(json)) return undefined;
  if (typeof json.error === 'string') {
    return {
      error: json.error as VerificationError, message: str(json.message) ?? json.error,
      ...(json.attempts_left === null || num(json.attempts_left) !== undefined ? { attempts_left: json.attempts_left as number | null } : {}),
      ...(str(json.detail) !== undefined ? { detail: str(json.detail)! } : {}),
      ...(str(json.allow) !== undefined ? { allow: str(json.allow)! } : {}),
    };
  }
  if (typeof json.session === 'string' && isRecord(json.user)) {
    return { session: json.session, user: { id: str(json.user.id) ?? '', name: str(json.user.name) ?? '', email: str(json.user.email) ?? '' } };
  }
  const page = json.page;
  if (typeof page !== 'string' || !PAGES.has(page)) return undefined;
  const signedIn = (): SignedIn => (isRecord(json.signed_in) ? { id: str(json.signed_in.id) ?? '' } : null);
  switch (page as VerificationPageBody['page']) {
    case 'enter_code':
      return { page: 'enter_code', signed_in: signedIn() };
    case 'confirm_code':
      return { page: 'confirm_code', signed_in: signedIn(), user_code: str(json.user_code) ?? '', message: str(json.message) ?? '' };
    case 'consent':
      return { page: 'consent', ...parseConsent(json) };
    case 'approved':
      return { page: 'approved', message: str(json.message) ?? '', ...(typeof json.granted_scope === 'string' ? { granted_scope: json.granted_scope } : {}) };
    case 'denied':
      return { page: 'denied', message: str(json.message) ?? '' };
    case 'signed_out':
      return { page: 'signed_out', revoked_grants: num(json.revoked_grants) ?? 0 };
    case 'grants':
      return {
        page: 'grants',
        grants: (Array.isArray(json.grants) ? json.grants : []).filter(isRecord).map((g) => ({
          grant_id: str(g.grant_id) ?? '', client: str(g.client) ?? '', approved_at: num(g.approved_at) ?? Number.NaN, scope: str(g.scope) ?? '',
          active: g.active === true,
        })),
      };
    case 'grant_revoked':
      return { page: 'grant_revoked', grant_id: str(json.grant_id) ?? '' };
  }
}

function parseConsent(json: Record<string, unknown>): ConsentDetails {
  const client = isRecord(json.client) ? json.client : {};
  const resource = isRecord(json.resource) ? json.resource : undefined;
  const device = isRecord(json.device) ? json.device : undefined;
  const scopes = Array.isArray(json.scopes)
    ? json.scopes.filter(isRecord).flatMap((s) => {
        const name = str(s.name);
        return name ? [{ name, description: str(s.description) ?? name }] : [];
      })
    : undefined;
  const lifetime = num(json.access_token_lifetime_s);
  const requestedAt = num(json.requested_at);
  const warning = str(json.warning);
  return {
    user_code: str(json.user_code) ?? '',
    client: { id: str(client.id) ?? '', name: str(client.name) ?? '' },
    detail: json.detail === 'minimal' ? 'minimal' : 'full',
    ...(scopes ? { scopes } : {}),
    ...(resource ? { resource: { id: str(resource.id) ?? '', name: str(resource.name) ?? '' } } : {}),
    ...(lifetime !== undefined ? { access_token_lifetime_s: lifetime } : {}),
    ...(json.refresh_token !== undefined ? { refresh_token: json.refresh_token === true } : {}),
    ...(requestedAt !== undefined ? { requested_at: requestedAt } : {}),
    ...(device ? { device: { ip: str(device.ip) ?? '', user_agent: str(device.user_agent) ?? '' } } : {}),
    ...(warning !== undefined ? { warning } : {}),
  };
}

export function isErrorBody(body: VerificationBody | undefined): body is VerificationErrorBody {
  return body !== undefined && 'error' in body;
}
