/**
 * Redaction of debug output (guidance G2; failure modes F6, F7; RFC 6749 §10.3-10.4 keep tokens confidential;
 * RFC 8628 §5.5 keep the user code out of persisted logs). Structural: it knows which parameters, members and
 * headers carry secrets, so it works before the CLI has learned the secret values.
 */

export const REDACTED = '[REDACTED]';

/** Form parameters and JSON members that carry credentials or codes. */
const SECRET_MEMBERS = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'device_code',
  'user_code',
  'verification_uri_complete',
  'token',
  'client_secret',
  'code',
  'assertion',
]);

/** Headers whose values are credentials. `Authorization` keeps its scheme so the log still says Bearer or DPoP. */
const SECRET_HEADERS = new Set(['authorization', 'dpop', 'cookie', 'set-cookie', 'proxy-authorization']);

export function redactHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (!SECRET_HEADERS.has(lower)) return value;
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const space = value.indexOf(' ');
    return space > 0 ? `${value.slice(0, space)} ${REDACTED}` : REDACTED;
  }
  return REDACTED;
}

/** Redact secret parameters of a form body or a URL query string. */
export function redactForm(body: string): string {
  return body
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_MEMBERS.has(decodeName(rawName)) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Redact secret members anywhere in a JSON value. */
export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_MEMBERS.has(k) ? REDACTED : redactJson(v)]));
  }
  return value;
}

/** Redact a body of any type; unparseable text is withheld entirely rather than risk leaking. */
export function redactBody(body: string, contentType: string | null): string {
  if (body === '') return body;
  if (/x-www-form-urlencoded/i.test(contentType ?? '')) return redactForm(body);
  try {
    return JSON.stringify(redactJson(JSON.parse(body)));
  } catch {
    return `${REDACTED} (${body.length} bytes)`;
  }
}

/** Redact secret query parameters of a URL (defence in depth: the CLI never puts tokens in URLs). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?${redactForm(url.slice(q + 1))}`;
}
