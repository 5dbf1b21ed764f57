/**
 * A message's recorded body text (src/protocol/bodyText.ts) stands in for reading its body, and gives exactly
 * what reading it would: `textOf` reads a body only when nothing was recorded, `peekText` never uses one up, and
 * a text whose bytes would not decode back to it is not recorded at all. `textAtMost` reads someone else's body
 * and never holds more than its limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, bodyTextOf, longerThan, peekText, textAtMost, textOf, textResponse, withBodyText } from './bodyText.ts';

const post = (body: string) => new Request('https://idp.test/token', { method: 'POST', body });

describe('recorded body text', () => {
  it('textOf: the recorded text leaves the body unread; without one, the body is read, with the same text', async () => {
    const recorded = textResponse('{"error":"authorization_pending"}');
    const plain = new Response('{"error":"authorization_pending"}');
    expect(await textOf(recorded)).toBe(await textOf(plain));
    expect(recorded.bodyUsed).toBe(false);
    expect(plain.bodyUsed).toBe(true);
    // A body read since it was recorded is not read again from the record: reading it fails as text() would.
    await recorded.text();
    expect(bodyTextOf(recorded)).toBeUndefined();
    await expect(textOf(recorded)).rejects.toThrow(TypeError);
  });

  it('peekText never uses a body up, recorded or not', async () => {
    const recorded = withBodyText(post('device_code=abc'), 'device_code=abc');
    const plain = post('device_code=abc');
    expect([await peekText(recorded), await peekText(plain)]).toEqual(['device_code=abc', 'device_code=abc']);
    expect([recorded.bodyUsed, plain.bodyUsed]).toEqual([false, false]);
    expect(await plain.text()).toBe('device_code=abc');
  });

  it('a text is recorded only when its UTF-8 bytes decode back to it (no lone surrogate, no leading byte-order mark)', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (text) => {
      const message = withBodyText(new Response(text), text);
      const known = bodyTextOf(message);
      const read = await message.clone().text();
      if (known !== undefined) expect(known).toBe(read);
      expect(await textOf(message)).toBe(read);
    }), { numRuns: 200 });
    expect(bodyTextOf(withBodyText(new Response('\uFEFFx'), '\uFEFFx'))).toBeUndefined();
    expect(bodyTextOf(withBodyText(new Response('a\uD800'), 'a\uD800'))).toBeUndefined();
  });
});

/** A body that never ends, counting what was pulled from it and whether it was cancelled. */
function endless(chunkBytes = 1000) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      seen.pulled += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x41));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

describe('textAtMost: a body someone else sent, bounded', () => {
  it('an endless body: reads a little past the limit, cancels the stream, and says what it saw', async () => {
    const { stream, seen } = endless();
    const error = await textAtMost(new Response(stream), 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).seen).toBe('more than 10000 bytes sent');
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(10_000 + 2 * 1000);
  });

  it('a Content-Length over the limit is refused before a byte is read', async () => {
    const { stream, seen } = endless();
    const pulledAtStart = seen.pulled;
    const res = new Response(stream, { headers: { 'content-length': '5000000' } });
    await expect(textAtMost(res, 10_000)).rejects.toThrow('the body is larger than 10000 bytes (Content-Length 5000000)');
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBe(pulledAtStart);
  });

  it('up to the limit, the text is what text() gives (UTF-8, a leading byte-order mark dropped, bad bytes replaced)', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0xe2, 0x82, 0xac, 0xff, 0x7d]);
    const limit = bytes.length;
    expect(await textAtMost(new Response(bytes), limit)).toBe(await new Response(bytes).text());
    await expect(textAtMost(new Response(bytes), limit - 1)).rejects.toBeInstanceOf(BodyTooLargeError);
    // A body sent in many small chunks reads the same.
    const chunked = new ReadableStream<Uint8Array>({ start(c) { for (const b of bytes) c.enqueue(new Uint8Array([b])); c.close(); } });
    expect(await textAtMost(new Response(chunked), limit)).toBe(await new Response(bytes).text());
  });

  it('a recorded text is measured in UTF-8 bytes, not characters; no body is the empty text', async () => {
    expect(await textAtMost(textResponse('€€€'), 9)).toBe('€€€');
    await expect(textAtMost(textResponse('€€€'), 8)).rejects.toThrow('(the recorded text)');
    expect(await textAtMost(new Response(null), 0)).toBe('');
    expect([longerThan('€'.repeat(3), 8), longerThan('€'.repeat(3), 9), longerThan('a'.repeat(9), 9)]).toEqual([true, false, false]);
  });
});
