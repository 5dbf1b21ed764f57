/**
 * One parsed view of a wire exchange: its path, its request body read as a form, its grant type, and its
 * answer's status, JSON body and OAuth error, read once (and again only when the answer arrives). The
 * explanation cards (explain.ts), the sequence diagram (src/ui/panels/sequence.ts), the lab runner and the
 * labs' predicates read exchanges through it instead of each parsing the text.
 */
import type { WireExchange } from './wire.ts';

export interface ExchangeView {
  readonly exchange: WireExchange;
  /** The request URL, parsed (undefined when it does not parse). */
  readonly url: URL | undefined;
  /** The request URL's path ('' when it does not parse). */
  readonly path: string;
  /** The request body read as a form (empty for a body that is not one). */
  readonly form: URLSearchParams;
  /** The form's `grant_type`, if any. */
  readonly grantType: string | undefined;
  /** The answer's status (undefined while in flight, or when there was no answer). */
  readonly status: number | undefined;
  /** The answer's body parsed as JSON, when it is a JSON object. */
  readonly json: Readonly<Record<string, unknown>> | undefined;
  /** The `error` member of a JSON answer. */
  readonly jsonError: string | undefined;
  /** The answer's OAuth `error`: from a JSON body, or from a form-encoded one (GitHub without `Accept: application/json`). */
  readonly error: string | undefined;
}

const cache = new WeakMap<WireExchange, { response: WireExchange['response']; view: ExchangeView }>();

/** The parsed view of `ex` (cached per exchange until its answer changes). */
export function readExchange(ex: WireExchange): ExchangeView {
  const hit = cache.get(ex);
  if (hit && hit.response === ex.response) return hit.view;
  const view = parse(ex);
  cache.set(ex, { response: ex.response, view });
  return view;
}

function parse(ex: WireExchange): ExchangeView {
  let url: URL | undefined;
  try {
    url = new URL(ex.request.url);
  } catch {
    url = undefined;
  }
  const form = new URLSearchParams(ex.request.body);
  const answer = ex.response ? readAnswer(ex.response.body) : {};
  return {
    exchange: ex, url, path: url?.pathname ?? '', form, grantType: form.get('grant_type') ?? undefined, status: ex.response?.status,
    json: answer.json, jsonError: answer.jsonError, error: answer.error,
  };
}

/** An answer's body read as `ExchangeView` reads it (a JSON object and its `error`, or a form-encoded `error`). */
export function readAnswer(text: string): { json?: Record<string, unknown>; jsonError?: string; error?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: new URLSearchParams(text).get('error') ?? undefined };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const json = parsed as Record<string, unknown>;
  const jsonError = typeof json.error === 'string' ? json.error : undefined;
  return { json, ...(jsonError !== undefined ? { jsonError, error: jsonError } : {}) };
}
