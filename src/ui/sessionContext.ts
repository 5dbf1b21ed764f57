/**
 * The simulator session reaches components through Svelte context, not props: the view that owns a session
 * (SimulatorView, LabView; the embed mounts the same views inside its shadow root, so they set it there too)
 * calls `provideSession`, and every component below calls `useSession`. Components that follow the CLI
 * process select from its actor with @xstate/svelte's `useSelector`, through `selectCli`.
 */
import { useSelector } from '@xstate/svelte';
import { createContext } from 'svelte';
import { readable, type Readable } from 'svelte/store';
import type { World } from '../world/index.ts';
import type { SimulatorSession } from './session.svelte.ts';

const [getSession, setSession] = createContext<SimulatorSession>();

/** Hand `session` to every component below the caller (call during the owning component's initialisation). */
export function provideSession(session: SimulatorSession): SimulatorSession {
  return setSession(session);
}

/** The session of the view this component is inside (throws outside one: a wiring bug, not a user error). */
export function useSession(): SimulatorSession {
  return getSession();
}

export type CliSnapshot = ReturnType<World['cli']['getSnapshot']>;

/**
 * A store of `selector` over the CLI actor `cli` (the session snapshot's `cli`; `fallback` while no world is
 * built). Derive it from the snapshot's `cli`, so a restarted CLI process (new client knobs) is followed.
 */
export function selectCli<T>(cli: World['cli'] | undefined, selector: (snapshot: CliSnapshot) => T, fallback: T): Readable<T> {
  return cli ? useSelector(cli, selector) : readable(fallback);
}
