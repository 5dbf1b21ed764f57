/**
 * Test helpers for the rehearsal server in-process (real node:http on loopback, real fetch, real clock): a
 * hand-written device-flow client whose every request is explicit, so tests can make it misbehave on purpose.
 */
import { DEVICE_CODE_GRANT_TYPE } from '../../protocol/constants.ts';
import { startIdpServer, type IdpServerOptions, type RunningIdp } from '../server.ts';

export interface Rehearsal extends RunningIdp {
  notices: string[];
  ended: number[];
}

export async function startRehearsal(opts: Partial<IdpServerOptions> = {}): Promise<Rehearsal> {
  const notices: string[] = [];
  const ended: number[] = [];
  const running = await startIdpServer({
    port: 0,
    knobs: { intervalS: 1, ...opts.knobs },
    ...opts,
    onNotice: (t) => notices.push(t),
    onFlowEnded: (_card, i) => ended.push(i),
  });
  return Object.assign(running, { notices, ended });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Codes {
  device_code: string;
  user_code: string;
  interval?: number;
  expires_in: number;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** POST a form, as a well-behaved client does (User-Agent set). */
export async function post(url: string, form: Record<string, string>, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'rehearsal-test/1.0', ...init.headers },
    body: new URLSearchParams(form),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return answerOf(response);
}

export async function deviceAuthorization(issuer: string, clientId: string, extra: Record<string, string> = {}): Promise<Codes> {
  const a = await post(`${issuer}/device_authorization`, { client_id: clientId, ...extra });
  if (a.status !== 200) throw new Error(`device authorization failed: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body as unknown as Codes;
}

export function poll(issuer: string, clientId: string, codes: Codes, signal?: AbortSignal): Promise<Answer> {
  return post(`${issuer}/token`, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: codes.device_code, client_id: clientId }, signal ? { signal } : {});
}

export function refresh(issuer: string, clientId: string, refreshToken: string): Promise<Answer> {
  return post(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
}

export function revoke(issuer: string, clientId: string, token: string, hint: string): Promise<Answer> {
  return post(`${issuer}/revoke`, { token, token_type_hint: hint, client_id: clientId });
}

/** The failing check ids of each login in the server's report, in order. */
export function failingRows(running: RunningIdp): string[][] {
  return running.report().flows.map((f) => f.checks.filter((c) => c.result === 'fail').map((c) => c.id));
}
