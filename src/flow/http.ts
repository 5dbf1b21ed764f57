/**
 * The CLI's one way out (architecture seam 1): every request goes through the injected `fetch`, here wrapped
 * with the `debug` and `redaction` knobs. Debug lines go to a sink that the machine turns into `cli.debug`
 * events.
 */
import { peekText } from '../protocol/bodyText.ts';
import type { DebugLevel } from './knobs.ts';
import { redactBody, redactHeader, redactUrl } from './redact.ts';

export type FetchFn = (request: Request) => Promise<Response>;

export interface HttpOptions {
  fetch: FetchFn;
  debug: DebugLevel;
  redaction: boolean;
  /** Receives one debug line at a time. */
  log: (line: string) => void;
}

/** A request failed below HTTP (connection refused, reset, aborted by a timeout). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(readonly url: string, cause: unknown) {
    super(`network error for ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Send `req` through the injected fetch, logging per the knobs. Rejections become `NetworkError`. The request
 * carries its own abort signal (the request builders take one: src/protocol/client.ts `RequestOptions`).
 */
export async function send(opts: HttpOptions, req: Request): Promise<Response> {
  const url = opts.redaction ? redactUrl(req.url) : req.url;
  if (opts.debug !== 'off') {
    opts.log(`> ${req.method} ${url}`);
    logHeaders(opts, '>', req.headers);
    if (opts.debug === 'bodies' && req.body) {
      const text = await peekText(req);
      opts.log(`> ${opts.redaction ? redactBody(text, req.headers.get('content-type')) : text}`);
    }
  }
  let response: Response;
  try {
    response = await opts.fetch(req);
  } catch (err) {
    if (opts.debug !== 'off') opts.log(`! ${req.method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`);
    throw new NetworkError(url, err);
  }
  if (opts.debug !== 'off') {
    opts.log(`< ${response.status} ${url}`);
    logHeaders(opts, '<', response.headers);
    if (opts.debug === 'bodies') {
      const text = await peekText(response);
      if (text) opts.log(`< ${opts.redaction ? redactBody(text, response.headers.get('content-type')) : text}`);
    }
  }
  return response;
}

function logHeaders(opts: HttpOptions, arrow: string, headers: Headers): void {
  headers.forEach((value, name) => opts.log(`${arrow} ${name}: ${opts.redaction ? redactHeader(name, value) : value}`));
}
