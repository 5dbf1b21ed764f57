/**
 * The rehearsal identity provider: the simulated authorization server and API (the page's own handler)
 * served over node:http, with the rehearsal control surface on, scripted outcomes (scriptedPolls.ts) and a
 * report card of what each client did (observer.ts, grade.ts). Loopback by default: it is a rehearsal tool
 * with simulated people, not a service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE } from '../protocol/constants.ts';
import { realClock, type WorldClock } from '../sim/clock.ts';
import { createSimIdp, loopbackResources, type SimIdp } from '../sim/idp.ts';
import { resolveServerKnobs, type ServerKnobs } from '../sim/knobs.ts';
import { defaultRegistry, type Registry } from '../sim/registry.ts';
import type { ExtraClient } from './args.ts';
import { reportOf, reportText, type FlowReport } from './grade.ts';
import { metaOf, sendResponse, toRequest } from './nodeAdapter.ts';
import { FlowObserver, basicClientId } from './observer.ts';
import type { Script } from './script.ts';
import { ScriptedPolls, scriptedErrorResponse, type TransportPlan } from './scriptedPolls.ts';

export interface IdpServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** The issuer clients see, when not http://<host>:<port>. */
  issuer?: string;
  knobs?: Partial<ServerKnobs>;
  /** Clients to register beside the default ones (an id already there is replaced). */
  clients?: readonly ExtraClient[];
  /** Scopes of the team's API: added to the API and made the default scope. */
  scopes?: readonly string[];
  script?: Script;
  scripts?: ReadonlyMap<string, Script>;
  autoApproveS?: number;
  clock?: WorldClock;
  /** Called for every exchange (method, path, status, OAuth error code if any); never with secrets. */
  onExchange?: (line: ExchangeLine) => void;
  /** Hints and scripted steps, one line each. */
  onNotice?: (text: string) => void;
  /** A device login has ended: its report card as it stands (refresh and logout may still come). */
  onFlowEnded?: (card: FlowReport, index: number) => void;
}

export interface ExchangeLine {
  method: string;
  path: string;
  status: number | 'reset' | 'no answer';
  error?: string;
}

export interface RunningIdp {
  issuer: string;
  idp: SimIdp;
  server: Server;
  observer: FlowObserver;
  /** `GET /control/report`: every login's card. */
  report(): { flows: FlowReport[] };
  reportText(): string;
  /** When the last request arrived (the server's clock). */
  lastRequestAt(): number;
  close(): Promise<void>;
}

export const LOOPBACK_HOST = '127.0.0.1';
export const REPORT_PATH = '/control/report';

/** The issuer for a listen address: a wildcard address is reached as loopback from this machine. */
export function defaultIssuer(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? LOOPBACK_HOST : host === '::' ? '::1' : host;
  return `http://${isIPv6(reachable) ? `[${reachable}]` : reachable}:${port}`;
}

/** The default registry, the `--client` registrations and the `--scopes` on the API. */
export function rehearsalRegistry(issuer: string, clients: readonly ExtraClient[] = [], scopes: readonly string[] = []): Registry {
  const registry = defaultRegistry(loopbackResources(issuer));
  for (const c of clients) {
    registry.clients = registry.clients.filter((r) => r.clientId !== c.clientId);
    registry.clients.push({
      clientId: c.clientId,
      name: c.clientId,
      // client_secret_basic here accepts the secret in the body too (client_secret_post): clientAuth.ts.
      tokenEndpointAuthMethod: c.clientSecret === undefined ? 'none' : 'client_secret_basic',
      ...(c.clientSecret !== undefined ? { clientSecret: c.clientSecret } : {}),
      grantTypes: [DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE],
    });
  }
  const api = registry.resources[0]!;
  for (const s of scopes) api.scopes[s] ??= `${s} (registered with --scopes)`;
  return registry;
}

export async function startIdpServer(opts: IdpServerOptions): Promise<RunningIdp> {
  const clock = opts.clock ?? realClock;
  const host = opts.host ?? LOOPBACK_HOST;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = (opts.issuer ?? defaultIssuer(host, port)).replace(/\/+$/, '');
  const registry = rehearsalRegistry(issuer, opts.clients, opts.scopes);
  let knobs = opts.knobs ?? {};
  if (opts.scopes?.length) {
    const allowed = knobs.allowedScopes ?? resolveServerKnobs({}).allowedScopes;
    knobs = { ...knobs, allowedScopes: [...new Set([...allowed, ...opts.scopes])], defaultScopes: [...opts.scopes] };
  }
  const idp = await createSimIdp({ issuer, clock, registry, enableControl: true, knobs });
  const gradeOptions = () => ({ leewayMs: idp.as.knobs.pollLeewayMs });
  const observer: FlowObserver = new FlowObserver({
    as: idp.as,
    apiBases: registry.resources.map((r) => r.id),
    onEnded: (flow, index) => opts.onFlowEnded?.(reportOf([flow], clock.now(), gradeOptions()).flows[0]!, index),
  });
  const scripted = new ScriptedPolls({
    as: idp.as, ...(opts.script ? { script: opts.script } : {}), ...(opts.scripts ? { scripts: opts.scripts } : {}),
    ...(opts.autoApproveS !== undefined ? { autoApproveS: opts.autoApproveS } : {}), ...(opts.onNotice ? { onNotice: opts.onNotice } : {}),
  });
  const basePath = new URL(issuer).pathname.replace(/\/+$/, '');
  const hinted = new Set<string>();
  let lastRequestAt = clock.now();
  const timers = new Set<unknown>();
  const later = (fn: () => void, ms: number) => {
    const id = clock.setTimeout(() => {
      timers.delete(id);
      fn();
    }, ms);
    timers.add(id);
  };
  const report = () => reportOf(observer.flows, clock.now(), gradeOptions());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await toRequest(req, issuer);
    if (request === 'too-large') {
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"invalid_request","error_description":"body too large"}');
      return;
    }
    const at = clock.now();
    lastRequestAt = at;
    const url = new URL(request.url);
    if (url.pathname === basePath + REPORT_PATH && (request.method === 'GET' || request.method === 'HEAD')) {
      const text = url.searchParams.get('format') === 'text';
      const body = text ? reportText(report()) : JSON.stringify(report(), null, 2);
      res.writeHead(200, { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(body);
      return;
    }
    const body = request.method === 'POST' ? await request.clone().text().catch(() => '') : '';
    const kind = observer.kindOf(request);
    const params = request.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
    const scriptedPoll = kind === 'token' ? scripted.beforePoll(params, basicClientId(request)) : undefined;
    const plan: TransportPlan | undefined = scriptedPoll?.transport;
    let closedAt: number | undefined;
    res.once('close', () => {
      if (!res.writableFinished) closedAt = clock.now();
    });
    const line = (status: ExchangeLine['status'], error?: string) =>
      opts.onExchange?.({ method: request.method, path: url.pathname, status, ...(error ? { error } : {}) });

    if (plan?.kind === 'reset') {
      // The client learns of the reset when the connection drops: that moment, not the arrival, starts its wait.
      scriptedPoll?.settle();
      const droppedAt = clock.now();
      req.socket.destroy();
      await observer.record({ request, body, at, transport: 'reset', answeredAt: droppedAt });
      line('reset');
      return;
    }
    const response = plan?.kind === 'error' ? scriptedErrorResponse(plan.status) : await idp.handle(request, metaOf(req));
    scriptedPoll?.settle();
    if (plan?.kind === 'hang') {
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, plan.ms);
        res.once('close', () => {
          clock.clearTimeout(timer);
          resolve();
        });
      });
      if (closedAt !== undefined) {
        await observer.record({ request, body, at, transport: 'hang-abandoned', answeredAt: closedAt });
        line('no answer');
        return;
      }
    }
    const answeredAt = clock.now();
    const transport = plan?.kind === 'hang' ? 'hang' : plan?.kind === 'error' ? 'error' : undefined;
    await observer.record({ request, body, at, response: response.clone(), answeredAt, ...(transport ? { transport } : {}) });
    let error: string | undefined;
    if (response.status >= 400 || kind === 'token') error = await errorCodeOf(response.clone());
    line(response.status, error);
    if (error === 'invalid_client' || error === 'incorrect_client_credentials') hintUnknownClient(params.get('client_id') ?? basicClientId(request));
    if (kind === 'device_authorization' && response.status === 200) {
      const deviceCode = await deviceCodeOf(response.clone());
      const rec = deviceCode ? idp.as.state.deviceGrants.get(deviceCode) : undefined;
      if (rec) {
        scripted.codeIssued(rec.deviceCode);
        // A code nobody polls past its lifetime still ends its login (as expired).
        later(() => observer.tick(clock.now()), rec.expiresAt - clock.now() + 1);
      }
    }
    await sendResponse(res, response);
  }

  function hintUnknownClient(clientId: string | undefined): void {
    if (!clientId || hinted.has(clientId) || registry.clients.some((c) => c.clientId === clientId)) return;
    hinted.add(clientId);
    opts.onNotice?.(`hint: client "${clientId.slice(0, 80)}" is not registered here, so it gets invalid_client. ` +
      `Start the server with --client ${clientId.slice(0, 80)} (public) or --client ${clientId.slice(0, 80)}:<secret> (confidential).`);
  }

  server.on('request', (req, res) => {
    handle(req, res).catch(() => {
      if (res.destroyed) return;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"server_error"}');
    });
  });
  return {
    issuer,
    idp,
    server,
    observer,
    report,
    reportText: () => reportText(report()),
    lastRequestAt: () => lastRequestAt,
    close: () => new Promise<void>((resolve) => {
      for (const id of timers) clock.clearTimeout(id);
      timers.clear();
      scripted.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function deviceCodeOf(response: Response): Promise<string | undefined> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { device_code?: unknown };
    return typeof body.device_code === 'string' ? body.device_code : undefined;
  } catch {
    return new URLSearchParams(text).get('device_code') ?? undefined;
  }
}

/** The OAuth `error` code of a response body, if it has one (JSON or form). */
async function errorCodeOf(response: Response): Promise<string | undefined> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return new URLSearchParams(text).get('error') ?? undefined;
  }
}
