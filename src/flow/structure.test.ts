/**
 * Structural checks on the machine definition itself: what the terminal outcomes can do on their own.
 */
import { expect, test } from 'vitest';
import { cliMachine } from './machine.ts';

const TERMINAL = ['denied', 'expired', 'failed', 'cancelled', 'reauthRequired', 'loggedOut', 'idle'] as const;

test('RFC8628-3.5-restart-wait-user: no terminal outcome has a timer or an eventless transition; only user.login leaves it', () => {
  for (const name of TERMINAL) {
    const node = cliMachine.states[name]!;
    expect(node.after, name).toEqual([]);
    expect(node.always ?? [], name).toEqual([]);
    const leaving = [...node.transitions.entries()].filter(([, ts]) => ts.some((t) => t.target?.length));
    expect(leaving.map(([event]) => event), name).toEqual(['user.login']);
    expect(node.transitions.get('user.login')?.[0]?.target?.[0]?.id).toBe('cli.signingIn');
  }
});

test('RFC8628-3.1-user-initiated: the only ways into signingIn are user.login transitions (no timer, no eventless or done transition)', () => {
  const into: string[] = [];
  const visit = (node: (typeof cliMachine)['root']) => {
    for (const [event, ts] of node.transitions) {
      for (const t of ts) if (t.target?.some((n) => n.id === 'cli.signingIn')) into.push(`${node.id} ${event}`);
    }
    for (const t of node.always ?? []) if (t.target?.some((n) => n.id === 'cli.signingIn')) into.push(`${node.id} (always)`);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(cliMachine.root);
  expect(into.length).toBe(7);
  for (const entry of into) expect(entry.endsWith(' user.login')).toBe(true);
});
