/**
 * RFC 6749 §5.2 error bodies. `error` and `error_description` may only hold %x20-21 / %x23-5B / %x5D-7E
 * (printable ASCII without `"` and `\`); anything else is replaced, so no emitted error can break a client's
 * parser or smuggle text.
 */
import type { OAuthErrorCode } from './constants.ts';

const ALLOWED = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

/** True when `text` uses only the characters RFC 6749 §5.2 allows in `error` / `error_description`. */
export function isValidErrorText(text: string): boolean {
  return ALLOWED.test(text);
}

/** Replace every character RFC 6749 §5.2 forbids with `?` and cap the length. */
export function sanitizeErrorText(text: string, max = 300): string {
  let out = '';
  for (const ch of text.slice(0, max)) out += ALLOWED.test(ch) ? ch : '?';
  return out;
}

/** An RFC 6749 §5.2 error body. Extra members (profile quirks such as Entra's `error_codes`) go in `extra`. */
export interface OAuthErrorBody {
  error: OAuthErrorCode | (string & {});
  error_description?: string;
  error_uri?: string;
  [extra: string]: unknown;
}

export function oauthErrorBody(error: string, description?: string, extra?: Record<string, unknown>): OAuthErrorBody {
  const body: OAuthErrorBody = { ...extra, error: sanitizeErrorText(error, 64) };
  if (description) body.error_description = sanitizeErrorText(description);
  return body;
}
