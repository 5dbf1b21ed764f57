/**
 * A message's recorded body text (src/protocol/bodyText.ts) stands in for reading its body, and gives exactly
 * what reading it would: `textOf` reads a body only when nothing was recorded, `peekText` never uses one up, and
 * a text whose bytes would not decode back to it is not recorded at all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyTextOf, peekText, textOf, textResponse, withBodyText } from './bodyText.ts';

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
