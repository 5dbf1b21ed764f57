/**
 * The CLI's fetch, recorded: every exchange with the identity provider, raw (request and response headers and
 * bodies), tagged with the endpoint it went to. `grade-idp` grades the provider from these records, and
 * `--explain` turns each one into the simulator's explanation card as it completes. The records hold secrets
 * (codes, tokens): they stay in this process and are never printed as such.
 */
import type { FetchFn } from '../flow/http.ts';
import type { EndpointRole } from '../world/explain.ts';
import type { WireExchange } from '../world/wire.ts';

export interface Recorded {
  id: number;
  role: EndpointRole | 'other';
  /** Sent on purpose by the grader, outside the machine's rules (the early poll of `--probe-slow-down`). */
  probe?: boolean;
  startedAt: number;
  request: { method: string; url: string; headers: Array<[string, string]>; body: string };
  response?: { at: number; status: number; headers: Array<[string, string]>; body: string };
  fault?: 'network-error';
  faultMessage?: string;
}

export interface Endpoints {
  device_authorization_endpoint?: string;
  token_endpoint?: string;
  revocation_endpoint?: string;
}

const stripQuery = (url: string) => url.replace(/[?#].*$/, '');

/** Which endpoint a URL is, from the metadata once known (paths are the provider's own), else from well-known paths. */
export function roleOf(url: string, endpoints: Endpoints): Recorded['role'] {
  const u = stripQuery(url);
  if (/\/\.well-known\/(oauth-authorization-server|openid-configuration)(\/|$)/.test(new URL(url).pathname)) return 'discovery';
  if (endpoints.device_authorization_endpoint && u === stripQuery(endpoints.device_authorization_endpoint)) return 'device_authorization';
  if (endpoints.token_endpoint && u === stripQuery(endpoints.token_endpoint)) return 'token';
  if (endpoints.revocation_endpoint && u === stripQuery(endpoints.revocation_endpoint)) return 'revocation';
  return 'other';
}

export class Recorder {
  readonly log: Recorded[] = [];
  /** Known once discovery has been read (or given on the command line). */
  endpoints: Endpoints = {};
  #seq = 0;

  constructor(
    private readonly inner: FetchFn,
    private readonly now: () => number,
    /** Called when an exchange completes (answered or failed). */
    private readonly onDone: (x: Recorded) => void = () => undefined,
  ) {}

  /** The fetch to give the machine. */
  readonly fetch: FetchFn = (request) => this.send(request, false);

  /** Send a request of the grader's own (recorded with `probe`). */
  probe(request: Request): Promise<Response> {
    return this.send(request, true);
  }

  private async send(request: Request, probe: boolean): Promise<Response> {
    const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text();
    const x: Recorded = {
      id: ++this.#seq,
      role: roleOf(request.url, this.endpoints),
      ...(probe ? { probe: true } : {}),
      startedAt: this.now(),
      request: { method: request.method, url: request.url, headers: [...request.headers], body },
    };
    this.log.push(x);
    let response: Response;
    try {
      response = await this.inner(request);
    } catch (err) {
      x.fault = 'network-error';
      x.faultMessage = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
      this.onDone(x);
      throw err;
    }
    const text = await response.clone().text();
    x.response = { at: this.now(), status: response.status, headers: [...response.headers], body: text };
    if (x.role === 'discovery' && response.status === 200) this.learnEndpoints(text);
    this.onDone(x);
    return response;
  }

  private learnEndpoints(text: string): void {
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      for (const key of ['device_authorization_endpoint', 'token_endpoint', 'revocation_endpoint'] as const) {
        if (typeof doc[key] === 'string') this.endpoints[key] = doc[key];
      }
    } catch {
      // Not JSON: the machine reports it.
    }
  }
}

/** A recorded exchange as the simulator's wire log holds one, for `explainExchange`. */
export function asWireExchange(x: Recorded): WireExchange {
  const ex: WireExchange = { id: x.id, actor: 'cli', startedAt: x.startedAt, request: x.request };
  if (x.response) ex.response = x.response;
  if (x.fault) ex.fault = x.fault;
  return ex;
}
