/**
 * The local identity provider: the simulated authorization server and API served over node:http on
 * 127.0.0.1, with the rehearsal control surface on. Loopback only: it is a rehearsal tool, not a service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realClock, type WorldClock } from '../sim/clock.ts';
import { createSimIdp, loopbackResources, type SimIdp } from '../sim/idp.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import { metaOf, sendResponse, toRequest } from './nodeAdapter.ts';

export interface IdpServerOptions {
  /** 0 picks a free port. */
  port: number;
  knobs?: Partial<ServerKnobs>;
  clock?: WorldClock;
  /** Called for every exchange (method, path, status, OAuth error code if any); never with secrets. */
  onExchange?: (line: ExchangeLine) => void;
}

export interface ExchangeLine {
  method: string;
  path: string;
  status: number;
  error?: string;
}

export interface RunningIdp {
  issuer: string;
  idp: SimIdp;
  server: Server;
  close(): Promise<void>;
}

export const LOOPBACK_HOST = '127.0.0.1';

export async function startIdpServer(opts: IdpServerOptions): Promise<RunningIdp> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${LOOPBACK_HOST}:${port}`;
  const idp = await createSimIdp({
    issuer, clock: opts.clock ?? realClock, resources: loopbackResources(issuer), enableControl: true, ...(opts.knobs ? { knobs: opts.knobs } : {}),
  });
  server.on('request', (req, res) => {
    void (async () => {
      const request = await toRequest(req, issuer);
      if (request === 'too-large') {
        res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"invalid_request","error_description":"body too large"}');
        return;
      }
      const response = await idp.handle(request, metaOf(req));
      let error: string | undefined;
      if (response.status >= 400 || /\/(token|login\/oauth\/access_token|oauth2\/v2\.0\/token)$/.test(new URL(request.url).pathname)) {
        error = await errorCodeOf(response.clone());
      }
      opts.onExchange?.({ method: request.method, path: new URL(request.url).pathname, status: response.status, ...(error ? { error } : {}) });
      await sendResponse(res, response);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"server_error"}');
    });
  });
  return {
    issuer,
    idp,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
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
