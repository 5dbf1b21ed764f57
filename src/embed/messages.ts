/**
 * The embed's messages: the events the lab reports to the host page (a DOM event on the custom element, whose
 * `type` is the message's `type` and whose `detail` is the message; or `postMessage` from the iframe), and the
 * commands the host page may send into the iframe.
 *
 * Outgoing events carry only what is listed here: lab ids, objective ids, authored objective text and counts.
 * Never tokens, codes or anything else from the simulated world; `toMessage` copies the listed fields only.
 *
 * Incoming messages are UNTRUSTED (any window can post to the iframe): `parseIncoming` accepts only the exact
 * command shapes, from the listed origins, and never throws, whatever `data` is.
 */
import { EMBED_THEMES, normaliseOrigin, type EmbedMode, type EmbedTheme } from './contract/options.ts';

export const MESSAGE_SOURCE = 'device-flow-lab';
export const MESSAGE_VERSION = 1;

export type EmbedEvent =
  | { type: 'ready'; lab: string | null; mode: EmbedMode; theme: EmbedTheme }
  | { type: 'objective-completed'; lab: string; objective: string; text: string; done: number; total: number }
  | { type: 'lab-completed'; lab: string; total: number };
export type EmbedMessage = EmbedEvent & { source: typeof MESSAGE_SOURCE; version: typeof MESSAGE_VERSION };

/** The message for an event: its listed fields only, stamped with the source and version. */
export function toMessage(event: EmbedEvent): EmbedMessage {
  const stamp = { source: MESSAGE_SOURCE, version: MESSAGE_VERSION } as const;
  switch (event.type) {
    case 'ready':
      return { ...stamp, type: 'ready', lab: event.lab, mode: event.mode, theme: event.theme };
    case 'objective-completed':
      return {
        ...stamp, type: 'objective-completed', lab: event.lab, objective: event.objective, text: event.text,
        done: event.done, total: event.total,
      };
    case 'lab-completed':
      return { ...stamp, type: 'lab-completed', lab: event.lab, total: event.total };
  }
}

export type EmbedCommand = { type: 'reset' } | { type: 'set-theme'; theme: EmbedTheme };
export type IncomingResult = { ok: true; command: EmbedCommand } | { ok: false; reason: string };

/** The own properties of a plain object as plain values, without running getters; undefined when not one. */
function plainFields(data: unknown): Map<string, unknown> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const proto: unknown = Object.getPrototypeOf(data);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Reflect.ownKeys(data);
  if (keys.length > 4) return undefined;
  const fields = new Map<string, unknown>();
  for (const key of keys) {
    if (typeof key !== 'string') return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(data, key);
    if (!descriptor || !('value' in descriptor)) return undefined;
    fields.set(key, descriptor.value);
  }
  return fields;
}

function reject(reason: string): IncomingResult {
  return { ok: false, reason };
}

/**
 * Incoming postMessage: accepted only when `origin` is in `allowed` (exact match of normalised origins) and
 * data is exactly a command object `{ source: 'device-flow-lab', version: 1, type: 'reset' }` or
 * `{ ..., type: 'set-theme', theme }`. Never throws. The reason never repeats anything from the message.
 */
export function parseIncoming(data: unknown, origin: string, allowed: readonly string[]): IncomingResult {
  try {
    const from = typeof origin === 'string' ? normaliseOrigin(origin) : undefined;
    if (!from) return reject('the sender has no usable origin');
    let listed = false;
    if (Array.isArray(allowed)) {
      for (const entry of allowed.slice(0, 100)) {
        if (typeof entry === 'string' && normaliseOrigin(entry) === from) {
          listed = true;
          break;
        }
      }
    }
    if (!listed) return reject('the sender’s origin is not in the allowed list');

    const fields = plainFields(data);
    if (!fields) return reject('the message is not a plain command object');
    if (fields.get('source') !== MESSAGE_SOURCE) return reject(`the message's source is not ${MESSAGE_SOURCE}`);
    if (fields.get('version') !== MESSAGE_VERSION) return reject(`the message's version is not ${MESSAGE_VERSION}`);
    const type = fields.get('type');
    if (type === 'reset') {
      if (fields.size !== 3) return reject('a reset command has only source, version and type');
      return { ok: true, command: { type: 'reset' } };
    }
    if (type === 'set-theme') {
      const theme = fields.get('theme');
      if (fields.size !== 4 || !fields.has('theme')) return reject('a set-theme command has only source, version, type and theme');
      if (typeof theme !== 'string' || !(EMBED_THEMES as readonly string[]).includes(theme)) {
        return reject(`the theme is not one of ${EMBED_THEMES.join(', ')}`);
      }
      return { ok: true, command: { type: 'set-theme', theme: theme as EmbedTheme } };
    }
    return reject('the command type is not reset or set-theme');
  } catch {
    return reject('the message could not be read');
  }
}
