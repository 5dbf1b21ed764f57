/**
 * The text a Request's or Response's body was made from, remembered by the code that made it. The in-memory
 * wire (src/world/wire.ts) logs every body; with the text known it neither reads the stream nor rebuilds the
 * message around the bytes it read, and the CLI, the browser, the attacker and the servers parse the text instead
 * of reading the stream (`textOf`, `peekText`). Each of those reads costs tens to hundreds of microseconds per
 * message (Node's undici, Chromium), which a replayed or brute-forced world pays thousands of times. The message
 * stays a real Request or Response: a body whose text was not recorded (a real server's, over real HTTP) is read
 * as before. A body someone else sent is read with a bound (`textAtMost`: the CLI's answers).
 */

const texts = new WeakMap<Request | Response, string>();

/**
 * Record that `message`'s body is the UTF-8 encoding of `text` (call it right where the message is made from
 * that string). A string with a lone surrogate or a leading byte-order mark is not recorded: its bytes would not
 * decode back to the same string.
 */
export function withBodyText<T extends Request | Response>(message: T, text: string): T {
  if (!/^\uFEFF|[\uD800-\uDFFF]/.test(text)) texts.set(message, text);
  return message;
}

/** The body's text when it was recorded and the body has not been read; undefined otherwise. */
export function bodyTextOf(message: Request | Response): string | undefined {
  return message.bodyUsed ? undefined : texts.get(message);
}

/**
 * The body's text, as `text()` gives it: the recorded text when there is one (the body then stays unread), else
 * the body read to the end (as `text()` would).
 */
export async function textOf(message: Request | Response): Promise<string> {
  return bodyTextOf(message) ?? message.text();
}

/** The body's text without using the body up: the recorded text, else a clone's. */
export async function peekText(message: Request | Response): Promise<string> {
  return bodyTextOf(message) ?? message.clone().text();
}

const utf8 = new TextEncoder();

/**
 * Whether a string is more than `limit` bytes in UTF-8. One UTF-16 code unit is at most 3 bytes (a surrogate
 * pair, 2 units, is 4), so a string of at most limit / 3 units is not encoded to know it fits.
 */
export function longerThan(text: string, limit: number): boolean {
  return text.length * 3 > limit && utf8.encode(text).length > limit;
}

/** A body of more than a reader's limit of bytes; `seen` says how that was known. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number, readonly seen: string) {
    super(`the body is larger than ${limit} bytes (${seen})`);
  }
}

/**
 * `textOf`, for a body that someone else sent: more than `limit` bytes is a `BodyTooLargeError`, and no more
 * than that is ever held. A recorded text is measured; a `Content-Length` over the limit is refused before
 * anything is read; otherwise the stream is read up to the limit and cancelled past it (a server that never
 * stops sending costs the reader `limit` bytes). The bytes decode as `text()` decodes them.
 */
export async function textAtMost(message: Request | Response, limit: number): Promise<string> {
  const known = bodyTextOf(message);
  if (known !== undefined) {
    if (longerThan(known, limit)) throw new BodyTooLargeError(limit, 'the recorded text');
    return known;
  }
  const body = message.body;
  if (body === null || message.bodyUsed) return message.text();
  const declared = message.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) {
    await body.cancel().catch(() => undefined);
    throw new BodyTooLargeError(limit, `Content-Length ${declared.trim()}`);
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(limit, `more than ${limit} bytes sent`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** `new Response(text, init)`, its text recorded. */
export function textResponse(text: string, init?: ResponseInit): Response {
  return withBodyText(new Response(text, init), text);
}
