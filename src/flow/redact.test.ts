/**
 * Redaction of debug lines (RFC 6749 §10.3-10.4, RFC 8628 §5.5; F6, F7).
 */
import { describe, expect, test } from 'vitest';
import { REDACTED, redactBody, redactForm, redactHeader, redactJson, redactUrl } from './redact.ts';

describe('redaction', () => {
  test('RFC6749-10.3-at-confidential: Authorization keeps its scheme, DPoP proofs and cookies disappear, other headers stay', () => {
    expect(redactHeader('Authorization', 'Bearer abc.def')).toBe(`Bearer ${REDACTED}`);
    expect(redactHeader('authorization', 'DPoP abc')).toBe(`DPoP ${REDACTED}`);
    expect(redactHeader('authorization', 'opaque')).toBe(REDACTED);
    expect(redactHeader('DPoP', 'eyJ...')).toBe(REDACTED);
    expect(redactHeader('Cookie', 'sid=1')).toBe(REDACTED);
    expect(redactHeader('content-type', 'application/json')).toBe('application/json');
  });

  test('form bodies keep their wire encoding except for secret parameters', () => {
    expect(redactForm('grant_type=refresh_token&refresh_token=rt%2B1&client_id=acme-cli&scope=a+b')).toBe(
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_id=acme-cli&scope=a+b`,
    );
    expect(redactForm('token=x&token_type_hint=access_token&%zz=1')).toBe(`token=${REDACTED}&token_type_hint=access_token&%zz=1`);
  });

  test('JSON bodies: secret members are redacted at any depth, others kept', () => {
    expect(redactJson({ access_token: 'a', nested: [{ refresh_token: 'r', n: 1 }], user_code: 'WDJB-MJHT', interval: 5 })).toEqual({
      access_token: REDACTED,
      nested: [{ refresh_token: REDACTED, n: 1 }],
      user_code: REDACTED,
      interval: 5,
    });
  });

  test('bodies of unknown shape are withheld, not echoed', () => {
    expect(redactBody('<html>token=abc</html>', 'text/html')).toBe(`${REDACTED} (22 bytes)`);
    expect(redactBody('', null)).toBe('');
    expect(redactBody('device_code=d&client_id=c', 'application/x-www-form-urlencoded')).toBe(`device_code=${REDACTED}&client_id=c`);
    expect(redactBody('{"device_code":"d","expires_in":600}', 'application/json')).toBe(`{"device_code":"${REDACTED}","expires_in":600}`);
  });

  test('URLs: a secret in the query is redacted (defence in depth)', () => {
    expect(redactUrl('https://api.test/x?access_token=abc&page=2')).toBe(`https://api.test/x?access_token=${REDACTED}&page=2`);
    expect(redactUrl('https://api.test/x')).toBe('https://api.test/x');
  });
});
