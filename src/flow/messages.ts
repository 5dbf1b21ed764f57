/**
 * What the CLI prints, as pure functions of the machine context. Tokens and the device code never appear here
 * except where a knob or an explicit user request says so (RFC 8628 §3.3, RFC 6749 §10.3-10.4).
 */
import type { DeviceAuthorizationResponse, OAuthError, TokenTypeHint } from '../protocol/client.ts';
import { codeDeadlineS, MAX_CODE_LIFETIME_S, MAX_POLL_INTERVAL_S } from './interval.ts';
import { neutralizeControls, terminalText } from './redact.ts';
import { describeTarget, type SaveResult } from './storage.ts';
import { type CliEmitted, type OutputStyle } from './types.ts';

type Output = Extract<CliEmitted, { type: 'cli.output' }>;

/**
 * One terminal line. Every line goes through `neutralizeControls`, so no escape sequence, control character or
 * bidi override reaches the terminal whatever a server sent; server-supplied parts are also passed through
 * `terminalText` with the known secrets where they are put together (setup.ts), which this cannot know.
 */
export const line = (style: OutputStyle, text: string): Output => ({ type: 'cli.output', style, text: neutralizeControls(text) });

/**
 * RFC 8628 §3.3 / §3.3.1: the user code and the verification URI, always both, before the first poll. Both are
 * the server's text: a device code inside them is redacted (RFC 8628 §3.3: it is not for the user's eyes),
 * unless the `showDeviceCode` knob prints it on purpose on its own line. `intervalS` is the interval in use
 * (already within its bound); a server value past a bound gets a warning line.
 */
export function instructions(device: DeviceAuthorizationResponse, intervalS: number, showDeviceCode: boolean): Output[] {
  const secret = [device.device_code];
  const out = [
    line('prompt', `! First copy your one-time code: ${terminalText(device.user_code, secret)}`),
    line('prompt', `Then open ${terminalText(device.verification_uri, secret)} in a browser on any device and enter the code.`),
  ];
  if (showDeviceCode) out.push(line('info', `device_code: ${device.device_code}`));
  if (device.interval !== undefined && device.interval > MAX_POLL_INTERVAL_S && intervalS === MAX_POLL_INTERVAL_S) {
    out.push(intervalClampNotice('asked for', device.interval));
  }
  const deadlineS = codeDeadlineS(device.expires_in);
  if (deadlineS < device.expires_in) {
    out.push(line('info', `warning: the server said the code lasts ${device.expires_in} s; this CLI waits at most ${formatDuration(MAX_CODE_LIFETIME_S)} for approval (its limit for a code's lifetime).`));
  }
  out.push(line('info', `Waiting for approval (checking every ${intervalS} s; the code expires in ${formatDuration(deadlineS)})…`));
  return out;
}

/** A server's interval (initial or slow_down's) past `MAX_POLL_INTERVAL_S`: said once, with what is used instead. */
export function intervalClampNotice(verb: 'asked for' | 'slowed polling to', requestedS: number): Output {
  return line('info', `warning: the server ${verb} ${requestedS} s between polls; this CLI waits at most ${MAX_POLL_INTERVAL_S} s (its limit for a server's interval).`);
}

/** RFC 8628 §3.5 / RFC 6749 §5.2: the error code and, when present, its description (shown, never branched on). */
export function describeOAuthError(error: OAuthError): string {
  return neutralizeControls(error.error_description ? `${error.error}: ${error.error_description}` : error.error);
}

/** The way out of a terminal outcome (RFC 8628 §3.5: a new login needs the user), in the CLI's own name. */
export const loginAgainHint = (cliName: string): string => `Run \`${cliName} login\` to start again.`;

export function savedLines(result: SaveResult): Output[] {
  if (!result.fellBack) return [line('info', `Credentials saved to ${describeTarget(result.target)}.`)];
  return [line('info', `warning: no OS keyring found; credentials saved in plain text to ${describeTarget(result.target)}.`)];
}

/** How `formatDuration` names its units: the CLI's `s`/`min`/`h`, or words for prose (the consent page). */
export type DurationUnits = 'short' | 'words';
const DURATION_UNITS: Readonly<Record<DurationUnits, { s: string; min: string; h: string }>> = {
  short: { s: 's', min: 'min', h: 'h' },
  words: { s: 'seconds', min: 'minutes', h: 'hours' },
};

/**
 * The one rounded duration formatter (the CLI's text and the consent page): `45 s` below 2 min, then whole
 * minutes (`15 min`); from 2 h on, hours rounded to `hourDecimals` places when given (`8 h`, `2.5 h`), else
 * still minutes (`1440 min`). `units: 'words'` spells them out (`45 seconds`, `15 minutes`, `8 hours`).
 */
export function formatDuration(seconds: number, hourDecimals?: number, units: DurationUnits = 'short'): string {
  const unit = DURATION_UNITS[units];
  if (seconds < 120) return `${seconds} ${unit.s}`;
  if (hourDecimals === undefined || seconds < 2 * 3600) return `${Math.round(seconds / 60)} ${unit.min}`;
  const scale = 10 ** hourDecimals;
  return `${Math.round((seconds * scale) / 3600) / scale} ${unit.h}`;
}

/** "in 45 s", "in about 15 min", "in about 8 h": how long an unrevoked access token may still work. */
function timeLeft(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `in ${s} s` : `in about ${formatDuration(s, 0)}`;
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

/** A wait in ms as the terminal says it (whole seconds, rounded up; minutes from 2 min). */
const waitText = (ms: number): string => formatDuration(Math.ceil(ms / 1000));

/** The server said "try again later" (HTTP 429, 503, a 5xx page): what the CLI does about it, in its own words. */
export function retryLaterLines(
  step: 'refresh' | 'poll',
  status: number,
  waitMs: number,
  asked?: { ms: number; maxS: number },
): Output[] {
  const out = [line('info', step === 'refresh'
    ? `The server is busy (HTTP ${status}); trying the refresh again in ${waitText(waitMs)}.`
    : `The server is busy (HTTP ${status}); checking again in ${waitText(waitMs)}.`)];
  if (asked && asked.ms > asked.maxS * 1000) {
    out.push(line('info', `warning: the server asked to wait ${waitText(asked.ms)}; this CLI waits at most ${formatDuration(asked.maxS)} between polls.`));
  }
  return out;
}

/**
 * A refresh the CLI stopped retrying: the refresh token is kept (nothing says it is bad), and the person is told
 * why and when to try again. `askedMs`: the server's Retry-After was past the CLI's bound (`maxS`).
 */
export function refreshGaveUpLine(status: number, retries: number, asked?: { ms: number; maxS: number }): Output {
  return asked
    ? line('error', `✗ Could not refresh the session: the server is busy (HTTP ${status}) and asked to wait ${waitText(asked.ms)}, longer than this CLI waits (${formatDuration(asked.maxS)}). The session is kept; try again in ${waitText(asked.ms)}.`)
    : line('error', `✗ Could not refresh the session: the server is still busy (HTTP ${status}) after ${retries} ${retries === 1 ? 'retry' : 'retries'}. The session is kept; try again later.`);
}
