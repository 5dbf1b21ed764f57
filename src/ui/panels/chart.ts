/**
 * The state chart, read from the machine definition itself: walk the root state node and its children into a
 * plain tree (states, their transitions with event, guard and targets), work out which states a snapshot's
 * value makes active, and name the transition that explains a change between two snapshots.
 */
import { and, not, or } from 'xstate';

/** The parts of an XState v5 state node this module reads (structural, so tests can build small trees). */
export interface StateNodeLike {
  id: string;
  key: string;
  type: string;
  states?: Record<string, StateNodeLike>;
  transitions?: Map<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[];
  invoke?: ReadonlyArray<{ src: unknown }>;
}

export interface TransitionLike {
  eventType: string;
  guard?: unknown;
  target?: ReadonlyArray<{ id: string }>;
}

export interface ChartTransition {
  /** The raw event type ('' for eventless transitions). */
  event: string;
  /** What a person reads: `user.login`, `after pollInterval`, `done: pollToken`, `always`. */
  label: string;
  guard?: string;
  /** Target state ids; empty for a transition that stays put (actions only). */
  targets: string[];
}

export interface ChartNode {
  id: string;
  key: string;
  type: string;
  transitions: ChartTransition[];
  children: ChartNode[];
}

export type StateValue = string | { [key: string]: StateValue };

/** XState's guard combinators, recognised by their check function (names do not survive minification). */
const checkOf = (g: unknown) => (g as { check?: unknown }).check;
const COMBINATORS = new Map<unknown, string>([
  [checkOf(and([])), 'and'],
  [checkOf(or([])), 'or'],
  [checkOf(not('x')), 'not'],
]);

export function guardName(g: unknown): string | undefined {
  if (g === undefined || g === null) return undefined;
  if (typeof g === 'string') return g;
  if (typeof g === 'function') {
    const f = g as { guards?: unknown; check?: unknown; name?: string };
    const op = COMBINATORS.get(f.check);
    if (op === 'not') return `not ${guardName(Array.isArray(f.guards) ? f.guards[0] : f.guards) ?? 'guard'}`;
    if (op && Array.isArray(f.guards)) return `(${f.guards.map((x) => guardName(x) ?? 'guard').join(` ${op} `)})`;
    return 'guard';
  }
  if (typeof g === 'object' && typeof (g as { type?: unknown }).type === 'string') return (g as { type: string }).type;
  return 'guard';
}

export function eventLabel(event: string, node: Pick<StateNodeLike, 'invoke'>): string {
  if (event === '') return 'always';
  const src = typeof node.invoke?.[0]?.src === 'string' ? node.invoke[0].src : 'actor';
  if (event.startsWith('xstate.done.actor.')) return `done: ${src}`;
  if (event.startsWith('xstate.error.actor.')) return `error: ${src}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1]}`;
  return event;
}

export function describeMachine(node: StateNodeLike): ChartNode {
  const transitions: ChartTransition[] = [];
  const add = (t: TransitionLike) => {
    const guard = guardName(t.guard);
    transitions.push({ event: t.eventType, label: eventLabel(t.eventType, node), ...(guard ? { guard } : {}), targets: (t.target ?? []).map((s) => s.id) });
  };
  for (const list of node.transitions?.values() ?? []) list.forEach(add);
  (node.always ?? []).forEach(add);
  return { id: node.id, key: node.key, type: node.type, transitions, children: Object.values(node.states ?? {}).map(describeMachine) };
}

/** Every state id the value makes active (ancestors included). */
export function activeIds(root: ChartNode, value: StateValue): Set<string> {
  const out = new Set<string>([root.id]);
  const walk = (node: ChartNode, v: StateValue) => {
    const entries: Array<[string, StateValue | undefined]> = typeof v === 'string' ? [[v, undefined]] : Object.entries(v);
    for (const [key, sub] of entries) {
      const child = node.children.find((c) => c.key === key);
      if (!child) continue;
      out.add(child.id);
      if (sub !== undefined) walk(child, sub);
    }
  };
  walk(root, value);
  return out;
}

function allNodes(root: ChartNode): ChartNode[] {
  return [root, ...root.children.flatMap(allNodes)];
}

/** The deepest active states (the leaves of the active configuration). */
export function leafIds(root: ChartNode, active: ReadonlySet<string>): string[] {
  return allNodes(root).filter((n) => active.has(n.id) && !n.children.some((c) => active.has(c.id))).map((n) => n.id);
}

export interface ObservedTransition {
  from: string[];
  to: string[];
  /** Labels of the machine's transitions that lead straight from an old state to a new one; empty when it took several steps. */
  events: string[];
}

/** What changed between two snapshot values, and which transitions of the definition explain it. */
export function observeTransition(root: ChartNode, before: StateValue, after: StateValue): ObservedTransition | undefined {
  const prev = activeIds(root, before);
  const next = activeIds(root, after);
  const from = leafIds(root, prev).filter((id) => !next.has(id));
  const to = leafIds(root, next).filter((id) => !prev.has(id));
  if (!from.length && !to.length) return undefined;
  const entered = new Set([...next].filter((id) => !prev.has(id)));
  const events = new Set<string>();
  for (const node of allNodes(root)) {
    if (!prev.has(node.id)) continue;
    for (const t of node.transitions) {
      if (t.targets.some((id) => entered.has(id))) events.add(t.guard ? `${t.label} [${t.guard}]` : t.label);
    }
  }
  return { from, to, events: [...events] };
}

/** `cli.signingIn.polling` → `signingIn.polling` (ids relative to the root). */
export function shortId(root: ChartNode, id: string): string {
  return id.startsWith(`${root.id}.`) ? id.slice(root.id.length + 1) : id;
}
