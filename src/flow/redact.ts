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
  // RFC 8693 §2.1: a token exchange's input tokens (a CI job's OIDC ID token).
  'subject_token',
  'actor_token',
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

// ---------------------------------------------------------------------------------------------------------
// Server-supplied text on the terminal (a hostile or careless server: user codes, error descriptions, API
// bodies, scopes). Two steps, in this order: neutralise control characters, then redact known secret values.

/** Secrets shorter than this are not searched for: a 3-character "device code" would garble ordinary words. */
export const MIN_REDACTABLE_SECRET_LENGTH = 8;

/**
 * Code points that are removed outright: C0 controls except the whitespace ones (below), DEL, C1 controls, and the
 * Unicode bidirectional formatting characters (ALM U+061C, LRM/RLM U+200E-U+200F, LRE..RLO U+202A-U+202E,
 * LRI..PDI U+2066-U+2069), which can make text read differently from what it is ("Trojan Source", CVE-2021-42574).
 */
function isRemoved(c: number): boolean {
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x061c || c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/** Line breaks and tabs (HT, LF, VT, FF, CR, NEL, LS, PS) become one space: one server string, one terminal line. */
function isBreak(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0x2028 || c === 0x2029;
}

const ESC = 0x1b;
/** ECMA-48 control strings that run until a string terminator: DCS, SOS, OSC (hyperlinks, titles), PM, APC. */
const STRING_INTRODUCERS_7BIT = new Set([0x50, 0x58, 0x5d, 0x5e, 0x5f]); // ESC P, X, ], ^, _
const STRING_INTRODUCERS_8BIT = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
const CSI_8BIT = 0x9b;

/** Index just past the CSI sequence whose parameters start at `i` (ECMA-48 §5.4: params, intermediates, final). */
function skipCsi(text: string, i: number): number {
  while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x3f) i++;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  if (i < text.length && text.charCodeAt(i) >= 0x40 && text.charCodeAt(i) <= 0x7e) i++;
  return i;
}

/**
 * Index just past the control string whose body starts at `i`: after BEL, ESC \ or ST (0x9C). An unterminated
 * one swallows the rest of the text, as a terminal would (it keeps waiting for the terminator); that also keeps
 * the scan linear whatever the input.
 */
function skipControlString(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x07 || c === 0x9c) return i + 1;
    if (c === ESC && text.charCodeAt(i + 1) === 0x5c) return i + 2;
  }
  return text.length;
}

/**
 * Make text safe to print on a terminal (or in the page's terminal): ANSI/ECMA-48 escape sequences (colours,
 * cursor moves, screen clears, OSC 8 hyperlinks, window titles) are removed whole, line breaks and tabs become a
 * space, and every other C0/C1 control, DEL and bidi override is removed. Printable text, including non-ASCII
 * letters and emoji, is kept as it is. Linear in the length of the text; idempotent.
 */
export function neutralizeControls(text: string): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!isRemoved(c) && !isBreak(c)) {
      i++;
      continue;
    }
    out += text.slice(start, i);
    if (c === ESC) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x5b) i = skipCsi(text, i + 2);
      else if (STRING_INTRODUCERS_7BIT.has(next)) i = skipControlString(text, i + 2);
      else {
        // ESC, intermediates (0x20-0x2F), final (0x30-0x7E): charset selection, ESC 7, ESC c (reset) and the like.
        let j = i + 1;
        while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
        i = j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x7e ? j + 1 : i + 1;
      }
    } else if (c === CSI_8BIT) i = skipCsi(text, i + 1);
    else if (STRING_INTRODUCERS_8BIT.has(c)) i = skipControlString(text, i + 1);
    else {
      if (isBreak(c)) out += ' ';
      i++;
    }
    start = i;
  }
  return start === 0 ? text : out + text.slice(start);
}

/**
 * Replace every occurrence of a known secret (the device code, tokens, a client secret) with `[REDACTED]`: as
 * given, without its control characters (so a secret cut up by escape sequences is still found) and
 * percent-encoded (inside a URL). Longest first, so a secret containing another is redacted whole. Secrets
 * shorter than `MIN_REDACTABLE_SECRET_LENGTH`, or that occur in the marker itself, are skipped.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined) continue;
    for (const form of [secret, neutralizeControls(secret), encodeURIComponent(secret)]) {
      if (form.length >= MIN_REDACTABLE_SECRET_LENGTH && !REDACTED.includes(form)) forms.add(form);
    }
  }
  if (forms.size === 0) return text;
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  let out = text;
  // One pass removes every occurrence; a second catches one that a replacement made by joining its neighbours.
  for (let pass = 0; pass < 3 && ordered.some((s) => out.includes(s)); pass++) {
    for (const s of ordered) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Server-supplied text as it may reach the terminal: controls neutralised, then known secrets redacted. */
export function terminalText(text: string, secrets: Iterable<string | undefined> = []): string {
  return redactSecrets(neutralizeControls(text), secrets);
}
