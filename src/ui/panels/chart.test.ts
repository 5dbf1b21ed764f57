import { describe, expect, it } from 'vitest';
import { cliMachine } from '../../flow/machine.ts';
import { activeIds, describeMachine, eventLabel, leafIds, observeTransition, shortId, type StateNodeLike } from './chart.ts';

const root = describeMachine(cliMachine.root as unknown as StateNodeLike);
const find = (id: string) => {
  const walk = (n: typeof root): typeof root | undefined => (n.id === id ? n : n.children.map(walk).find(Boolean));
  return walk(root);
};

describe('state chart from the CLI machine definition', () => {
  it('walks every state of the real machine, nested', () => {
    expect(root.children.map((c) => c.key)).toEqual(expect.arrayContaining(['idle', 'signingIn', 'authenticated', 'loggingOut', 'loggedOut', 'denied', 'expired']));
    expect(find('cli.signingIn.awaitingApproval')?.children.map((c) => c.key)).toEqual(['waitingInterval', 'polling', 'classifying']);
  });

  it('names transitions by event, timer, invoked actor and guard', () => {
    expect(find('cli.idle')?.transitions).toEqual([expect.objectContaining({ label: 'user.login', targets: ['cli.signingIn'] })]);
    const waiting = find('cli.signingIn.awaitingApproval.waitingInterval')!;
    expect(waiting.transitions[0]).toMatchObject({ label: 'after pollInterval', targets: ['cli.signingIn.awaitingApproval.polling'] });
    expect(find('cli.signingIn.awaitingApproval.polling')!.transitions.map((t) => t.label)).toContain('done: pollToken');
    expect(find('cli.signingIn.awaitingApproval.classifying')!.transitions).toContainEqual(expect.objectContaining({ label: 'always', guard: 'isSlowDown' }));
    expect(eventLabel('', {})).toBe('always');
  });

  it('turns a snapshot value into the active states', () => {
    const active = activeIds(root, { signingIn: { awaitingApproval: 'polling' } });
    expect([...active]).toEqual(['cli', 'cli.signingIn', 'cli.signingIn.awaitingApproval', 'cli.signingIn.awaitingApproval.polling']);
    expect(leafIds(root, active)).toEqual(['cli.signingIn.awaitingApproval.polling']);
  });

  it('explains a change between two snapshots with the transition that caused it', () => {
    expect(observeTransition(root, 'idle', { signingIn: 'checking' })).toEqual({ from: ['cli.idle'], to: ['cli.signingIn.checking'], events: ['user.login'] });
    expect(observeTransition(root, { signingIn: { awaitingApproval: 'waitingInterval' } }, { signingIn: { awaitingApproval: 'polling' } }))
      .toMatchObject({ events: ['after pollInterval'] });
    expect(observeTransition(root, 'idle', 'idle')).toBeUndefined();
  });

  it('reports a multi-step change without inventing an event', () => {
    const seen = observeTransition(root, 'idle', { authenticated: 'ready' });
    expect(seen).toEqual({ from: ['cli.idle'], to: ['cli.authenticated.ready'], events: [] });
    expect(shortId(root, 'cli.authenticated.ready')).toBe('authenticated.ready');
  });
});

describe('guard names', () => {
  it('spells out combined guards without relying on function names', async () => {
    const { and, not, or } = await import('xstate');
    const { guardName } = await import('./chart.ts');
    expect(guardName(and(['a', or(['b', 'c'])]))).toBe('(a and (b or c))');
    expect(guardName(not('a'))).toBe('not a');
    expect(guardName({ type: 'isPending' })).toBe('isPending');
    expect(guardName(undefined)).toBeUndefined();
    const classifying = find('cli.signingIn.awaitingApproval.classifying')!;
    expect(classifying.transitions.map((t) => t.guard)).toContainEqual(expect.stringMatching(/^\(\w+ and \w+\)$/));
  });
});
