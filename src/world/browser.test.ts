/**
 * The simulated browser reads each verification answer once (src/world/browser.ts): from the text the server
 * recorded when there is one (a guessing run reads thousands of answers; the body's stream is left unread), and
 * from the body itself otherwise, with the same result either way.
 */
import { describe, expect, it } from 'vitest';
import { textResponse } from '../protocol/bodyText.ts';
import { SimBrowser } from './browser.ts';

const ANSWER = { page: 'enter_code', message: 'That code is not valid. Check it and try again.' };
const init = { status: 400, headers: { 'content-type': 'application/json' } };

describe('SimBrowser reads an answer', () => {
  it('from the recorded text without reading the stream, and from the stream when nothing was recorded', async () => {
    const answers: Response[] = [];
    const answer = (make: () => Response) => new SimBrowser(async () => {
      const res = make();
      answers.push(res);
      return res;
    }, 'https://idp.test/device');

    const recorded = await answer(() => textResponse(JSON.stringify(ANSWER), init)).enterCode('BCDF-GHJK');
    expect(answers[0]!.bodyUsed, 'a recorded answer is not read again').toBe(false);
    const plain = await answer(() => new Response(JSON.stringify(ANSWER), init)).enterCode('BCDF-GHJK');
    expect(answers[1]!.bodyUsed, 'an answer without recorded text is read').toBe(true);

    expect(recorded).toEqual(plain);
    expect(recorded.status).toBe(400);
    expect(recorded.body).toEqual(ANSWER);
  });
});
