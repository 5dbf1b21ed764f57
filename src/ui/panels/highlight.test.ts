import { describe, expect, it } from 'vitest';
import { highlightSecrets, needlesFor, spellingsOf } from './highlight.ts';

const AT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const RT = 'r3fr3sh_t0ken-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const needles = needlesFor([
  { kind: 'access_token', value: AT, fingerprint: '#00000001' },
  { kind: 'refresh_token', value: RT, fingerprint: '#00000002' },
  { kind: 'user_code', value: 'BCDFGHJK', fingerprint: '#00000003' },
]);

describe('highlightSecrets', () => {
  it('marks a bearer token in an Authorization header and keeps the rest as plain text', () => {
    const segs = highlightSecrets(`authorization: Bearer ${AT}`, needles);
    expect(segs).toEqual([
      { text: 'authorization: Bearer ' },
      { text: AT, secret: { kind: 'access_token', fingerprint: '#00000001' } },
    ]);
  });

  it('marks every secret in a form body and a JSON body; joining the segments gives the text back', () => {
    const text = `grant_type=refresh_token&refresh_token=${RT}&client_id=acme-cli\n{"access_token":"${AT}","refresh_token":"${RT}"}`;
    const segs = highlightSecrets(text, needles);
    expect(segs.map((s) => s.text).join('')).toBe(text);
    expect(segs.filter((s) => s.secret).map((s) => s.secret!.kind)).toEqual(['refresh_token', 'access_token', 'refresh_token']);
  });

  it('finds user codes in their dashed forms as well as raw', () => {
    expect(spellingsOf('user_code', 'BCDFGHJK')).toEqual(expect.arrayContaining(['BCDFGHJK', 'BCDF-GHJK', 'BCD-FGH-JK']));
    const segs = highlightSecrets('verify?user_code=BCDF-GHJK and BCDFGHJK', needles);
    expect(segs.filter((s) => s.secret).map((s) => s.text)).toEqual(['BCDF-GHJK', 'BCDFGHJK']);
  });

  it('prefers the longest needle at a position and never overlaps', () => {
    const segs = highlightSecrets('xxABCDEFyy', [
      { text: 'ABCD', kind: 'device_code', fingerprint: '#1' },
      { text: 'ABCDEF', kind: 'refresh_token', fingerprint: '#2' },
      { text: 'DEFyy', kind: 'session', fingerprint: '#3' },
    ]);
    expect(segs).toEqual([{ text: 'xx' }, { text: 'ABCDEF', secret: { kind: 'refresh_token', fingerprint: '#2' } }, { text: 'yy' }]);
  });

  it('returns one plain segment when there is nothing to mark, and none for empty text', () => {
    expect(highlightSecrets('GET /api/me', needles)).toEqual([{ text: 'GET /api/me' }]);
    expect(highlightSecrets('', needles)).toEqual([]);
  });

  it('finds percent-encoded spellings', () => {
    const v = 'abc/def+ghi=';
    const segs = highlightSecrets(`token=${encodeURIComponent(v)}`, needlesFor([{ kind: 'device_code', value: v, fingerprint: '#9' }]));
    expect(segs[1]).toEqual({ text: encodeURIComponent(v), secret: { kind: 'device_code', fingerprint: '#9' } });
  });
});
