/**
 * What the CLI prints, as pure functions of the machine context. Tokens and the device code never appear here
 * except where a knob or an explicit user request says so (RFC 8628 §3.3, RFC 6749 §10.3-10.4).
 */
import type { DeviceAuthorizationResponse, OAuthError } from '../protocol/client.ts';
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
