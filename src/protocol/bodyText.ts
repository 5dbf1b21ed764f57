/**
 * The text a Request's or Response's body was made from, remembered by the code that made it. The in-memory
 * wire (src/world/wire.ts) logs every body; with the text known it neither reads the stream nor rebuilds the
 * message around the bytes it read, and the CLI, the browser, the attacker and the servers parse the text instead
 * of reading the stream (`textOf`, `peekText`). Each of those reads costs tens to hundreds of microseconds per
 * message (Node's undici, Chromium), which a replayed or brute-forced world pays thousands of times. The message
 * stays a real Request or Response: a body whose text was not recorded (a real server's, over real HTTP) is read
 * as before.
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

/** `new Response(text, init)`, its text recorded. */
export function textResponse(text: string, init?: ResponseInit): Response {
  return withBodyText(new Response(text, init), text);
}
