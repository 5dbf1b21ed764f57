/**
 * What the CLI prints, as pure functions of the machine context. Tokens and the device code never appear here
 * except where a knob or an explicit user request says so (RFC 8628 §3.3, RFC 6749 §10.3-10.4).
 */
import type { DeviceAuthorizationResponse, OAuthError, TokenTypeHint } from '../protocol/client.ts';
import { describeTarget, type SaveResult } from './storage.ts';
import { type CliEmitted, type OutputStyle } from './types.ts';

type Output = Extract<CliEmitted, { type: 'cli.output' }>;

export const line = (style: OutputStyle, text: string): Output => ({ type: 'cli.output', style, text });

/** RFC 8628 §3.3 / §3.3.1: the user code and the verification URI, always both, before the first poll. */
export function instructions(device: DeviceAuthorizationResponse, intervalS: number, showDeviceCode: boolean): Output[] {
  const out = [
    line('prompt', `! First copy your one-time code: ${device.user_code}`),
    line('prompt', `Then open ${device.verification_uri} in a browser on any device and enter the code.`),
  ];
  if (showDeviceCode) out.push(line('info', `device_code: ${device.device_code}`));
  out.push(line('info', `Waiting for approval (checking every ${intervalS} s; the code expires in ${formatDuration(device.expires_in)})…`));
  return out;
}

/** RFC 8628 §3.5 / RFC 6749 §5.2: the error code and, when present, its description (shown, never branched on). */
export function describeOAuthError(error: OAuthError): string {
  return error.error_description ? `${error.error}: ${error.error_description}` : error.error;
}

/** The way out of a terminal outcome (RFC 8628 §3.5: a new login needs the user), in the CLI's own name. */
export const loginAgainHint = (cliName: string): string => `Run \`${cliName} login\` to start again.`;

export function savedLines(result: SaveResult): Output[] {
  if (!result.fellBack) return [line('info', `Credentials saved to ${describeTarget(result.target)}.`)];
  return [line('info', `warning: no OS keyring found; credentials saved in plain text to ${describeTarget(result.target)}.`)];
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return `${minutes} min`;
}

/** "in 45 s", "in about 15 min", "in about 8 h": how long an unrevoked access token may still work. */
function timeLeft(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `in ${s} s`;
  if (s < 2 * 3600) return `in about ${Math.round(s / 60)} min`;
  return `in about ${Math.round(s / 3600)} h`;
}

/**
 * Logout deleted the local copy but the server never confirmed these revocations (RFC 7009 §2.2.1: after a 503
 * the client must assume the token still exists). Say which tokens may still work, until when, and how the
 * person can end them at the identity provider. No token values: only their kind.
 */
export function logoutIncompleteLines(
  u: { hints: readonly TokenTypeHint[]; why: string; accessTokenExpiresAt?: number },
  now: number,
  cliName: string,
  issuer: string,
): Output[] {
  // An access token that has already expired is dead whatever the server did with the revocation.
  const hints = u.hints.filter((h) => h !== 'access_token' || u.accessTokenExpiresAt === undefined || u.accessTokenExpiresAt > now);
  if (hints.length === 0) return [];
  const name = (h: TokenTypeHint) => (h === 'refresh_token' ? 'the refresh token' : 'the access token');
  const until = (h: TokenTypeHint) =>
    h === 'refresh_token'
      ? 'until it expires or is revoked'
      : `until it expires (${u.accessTokenExpiresAt === undefined ? 'the server did not say when' : timeLeft(u.accessTokenExpiresAt - now)})`;
  const names = hints.map(name).join(' and ');
  const validity = hints.length === 1 ? `it may still be valid at the server ${until(hints[0]!)}` : `they may still be valid at the server: ${hints.map((h) => `${name(h)} ${until(h)}`).join(', ')}`;
  return [
    line('error', `✗ Logout incomplete: the server did not confirm revoking ${names} (${u.why}), so ${validity}.`),
    line('info', `To revoke ${hints.length === 1 ? 'it' : 'them'} now, sign out everywhere (or remove the access you gave ${cliName}) at your identity provider, ${issuer}.`),
  ];
}
