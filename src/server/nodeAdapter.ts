/**
 * node:http ⇄ WHATWG Request/Response, so the same fetch-style handler serves the page (in memory) and a
 * real loopback server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestMeta } from '../sim/authServer/index.ts';

/** Largest request body the local server reads (the handler applies its own, smaller limits). */
export const MAX_NODE_BODY_BYTES = 1024 * 1024;

export async function toRequest(req: IncomingMessage, origin: string): Promise<Request | 'too-large'> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  let body: Blob | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_NODE_BODY_BYTES) return 'too-large';
      chunks.push(chunk as Buffer);
    }
    body = new Blob([new Uint8Array(Buffer.concat(chunks))]);
  }
  const url = new URL(req.url ?? '/', origin);
  return new Request(url, { method, headers, ...(body ? { body } : {}) });
}

export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const setCookie = response.headers.getSetCookie();
  if (setCookie.length) headers['set-cookie'] = setCookie;
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

export function metaOf(req: IncomingMessage): RequestMeta {
  return req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {};
}
