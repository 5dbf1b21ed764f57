/**
 * The in-memory network (architecture seam 1): every actor (the CLI, the browser, the attacker) gets its own
 * `fetch` that routes to the simulated identity provider and records the exchange on the wire log, raw. In
 * step mode a gate can hold each request until the learner presses Next; fault injection can drop or hang
 * requests so the CLI's timeout and back-off paths run for real.
 */
import { bodyTextOf, withBodyText } from '../protocol/bodyText.ts';
import type { WorldClock } from '../sim/clock.ts';
import type { SimIdp } from '../sim/idp.ts';

export type WireActor = 'cli' | 'browser' | 'attacker' | 'victim';

export interface WireMessage {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: string;
}

export interface WireExchange {
  id: number;
  actor: WireActor;
  startedAt: number;
  request: WireMessage;
  /** Undefined while in flight, or forever when the request was dropped or hung. */
  response?: { at: number; status: number; headers: Array<[string, string]>; body: string };
  fault?: 'network-error' | 'timeout';
  /** When the caller gave up on a hung request (its abort signal fired, e.g. the CLI's request timeout or Ctrl+C). */
  abandonedAt?: number;
}

export type Fault = 'network-error' | 'timeout';

export interface FaultRule {
  /** Which requests (default: any request of the CLI). */
  match?: (req: Request, actor: WireActor) => boolean;
  fault: Fault;
  /** How many matching requests it affects (default 1). */
  times?: number;
}

export interface Wire {
  readonly log: WireExchange[];
  /** A fetch for one actor; the servers see `remoteAddress` and, unless the request names one, `userAgent`. */
  fetchFor(actor: WireActor, remoteAddress: string, userAgent?: string): (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
  /** Requests being answered right now (not counting hung ones). */
  inFlight(): number;
  /** Requests that will never be answered (timeouts) and whose caller still waits, so a driver knows not to wait for them. */
  hung(): number;
  /** Requests waiting at the step-mode gate. */
  held(): number;
  injectFault(rule: FaultRule): void;
  /** Hold every request until the promise returned by `gate` resolves (step mode); undefined: no holding. */
  setGate(gate: ((exchange: WireExchange) => Promise<void>) | undefined): void;
  subscribe(listener: (exchange: WireExchange) => void): () => void;
}

export function createWire(idp: SimIdp, clock: WorldClock): Wire {
  const log: WireExchange[] = [];
  const faults: Array<Required<Pick<FaultRule, 'fault' | 'times'>> & Pick<FaultRule, 'match'>> = [];
  const listeners = new Set<(e: WireExchange) => void>();
  let gate: ((e: WireExchange) => Promise<void>) | undefined;
  let busy = 0;
  let hung = 0;
  let held = 0;
  let nextId = 1;
  const notify = (e: WireExchange) => {
    for (const l of listeners) l(e);
  };

  return {
    log,
    inFlight: () => busy,
    hung: () => hung,
    held: () => held,
    injectFault: (rule) => faults.push({ fault: rule.fault, times: rule.times ?? 1, ...(rule.match ? { match: rule.match } : {}) }),
    setGate: (g) => void (gate = g),
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    fetchFor(actor, remoteAddress, userAgent) {
      return async (input, init) => {
        const sent = input instanceof Request && init === undefined ? input : new Request(input, init);
        // The log needs the body's text and the server the body itself, without `clone()`: a clone tees the body
        // stream, which costs about a millisecond per request in Chromium, and a guessing run sends thousands.
        // A body given as a string, or a request whose maker recorded its body's text (src/protocol/bodyText.ts),
        // is that text already; any other body is read once and the server gets a copy of the request with the
        // same bytes.
        let request = sent;
        let requestBody = init === undefined ? bodyTextOf(sent) : plainText(init.body);
        if (requestBody === undefined) {
          const { bytes, text } = await readBody(sent);
          requestBody = text;
          if (bytes !== null) request = new Request(sent, { body: bytes });
        } else if (init !== undefined) {
          withBodyText(sent, requestBody); // made here from that string, so the server need not read it either
        }
        const exchange: WireExchange = {
          id: nextId++, actor, startedAt: clock.now(),
          request: { method: request.method, url: request.url, headers: [...request.headers], body: requestBody },
        };
        log.push(exchange);
        notify(exchange);
        const ruleIndex = faults.findIndex((f) => (f.match ? f.match(request, actor) : actor === 'cli'));
        if (ruleIndex >= 0) {
          const rule = faults[ruleIndex]!;
          if (--rule.times <= 0) faults.splice(ruleIndex, 1);
          exchange.fault = rule.fault;
          notify(exchange);
          if (rule.fault === 'network-error') throw new TypeError('fetch failed: connection reset (simulated)');
          // A hung request counts as "waiting on the network" only while its caller still waits for it: when the
          // caller gives up (the CLI's request timeout aborts the signal), it no longer excuses a busy actor in
          // the driver's settle(), and the promise rejects like a real aborted fetch.
          const signal = sent.signal;
          if (signal.aborted) throw signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
          hung++;
          return new Promise<Response>((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              hung--;
              exchange.abandonedAt = clock.now();
              notify(exchange);
              reject(signal.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
            }, { once: true });
          });
        }
        if (gate) {
          held++;
          try {
            await gate(exchange);
          } finally {
            held--;
          }
        }
        busy++;
        try {
          const answered = await idp.handle(request, { remoteAddress, ...(userAgent ? { userAgent } : {}) });
          // As for the request: a body whose text the server recorded goes to the caller unread; any other is read
          // once, and the caller gets an identical response with the same bytes.
          const known = bodyTextOf(answered);
          const { bytes: responseBytes, text: responseBody } = known === undefined ? await readBody(answered) : { bytes: null, text: known };
          const headers = [...answered.headers];
          const response = responseBytes === null ? answered
            : new Response(responseBytes, { status: answered.status, statusText: answered.statusText, headers });
          exchange.response = { at: clock.now(), status: response.status, headers, body: responseBody };
          notify(exchange);
          return response;
        } finally {
          busy--;
        }
      };
    },
  };
}

const utf8 = new TextDecoder();

/**
 * A request body given as a string is sent as its UTF-8 bytes, and `text()` decodes them back to the same
 * string, unless it holds a lone surrogate (the bytes carry U+FFFD instead) or starts with a byte-order mark
 * (decoding drops it): undefined for those, and for any other kind of body.
 */
function plainText(body: BodyInit | null | undefined): string | undefined {
  return typeof body === 'string' && !/^\uFEFF|[\uD800-\uDFFF]/.test(body) ? body : undefined;
}

/** A message's body, read to the end: its bytes (null when it has no body) and their UTF-8 text, as `text()` decodes it. */
async function readBody(message: Request | Response): Promise<{ bytes: ArrayBuffer | null; text: string }> {
  if (message.body === null) return { bytes: null, text: '' };
  const bytes = await message.arrayBuffer();
  return { bytes, text: utf8.decode(bytes) };
}
