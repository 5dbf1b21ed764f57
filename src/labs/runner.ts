/**
 * The headless lab runner: build the world a lab describes, replay steps through the same doors the page uses
 * (the shell, the learner's browser, `world.reconfigure`, `world.attack`, the clock), and read the objectives.
 * There is no lab-specific code path in src/sim or src/flow: a step is only ever something a learner (or a
 * scripted actor) could do in the page.
 */
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { USER_CODE_ALPHABETS, normalizeUserCode } from '../protocol/userCode.ts';
import { createWorld, type Names, type World } from '../world/index.ts';
import { runShellLine } from '../world/shell.ts';
import { brandCommand } from './brand.ts';
import type { CodeSource, LabObjective, LabScenario, LabStep } from './types.ts';

/** Anything with a scenario (a loaded `Lab`, or a bare scenario in tests). */
export interface HasScenario {
  scenario: LabScenario;
}

/**
 * The world as the learner finds it: built from the setup, with the prelude (what already happened) replayed.
 * `names` brands it (an embedding team's organisation, CLI and identity provider).
 */
export async function startLab(lab: HasScenario, names?: Partial<Names>): Promise<World> {
  const world = await createWorld({ ...lab.scenario.setup.world, ...(names ? { names } : {}) });
  await replaySteps(world, lab.scenario.setup.prelude ?? []);
  return world;
}

/** Replay steps, in order, on an existing world (the lab view replays the prelude and `?step=` this way). */
export async function replaySteps(world: World, steps: readonly LabStep[]): Promise<void> {
  for (const step of steps) await runStep(world, step);
}

/** Replay the lab's solution on `world`. */
export async function replaySolution(lab: HasScenario, world: World): Promise<void> {
  for (const step of lab.scenario.solution) await runStep(world, step);
}

export interface ObjectiveStatus {
  id: string;
  text: string;
  done: boolean;
}

export function objectiveStatus(lab: HasScenario, world: World): ObjectiveStatus[] {
  return lab.scenario.objectives.map((o: LabObjective) => ({ id: o.id, text: o.text, done: safeHolds(o, world) }));
}

/** An objective whose predicate throws does not hold (and the lab check reports it as not holding). */
function safeHolds(o: LabObjective, world: World): boolean {
  try {
    return o.holds(world) === true;
  } catch {
    return false;
  }
}

export async function runStep(world: World, step: LabStep): Promise<void> {
  switch (step.do) {
    case 'type':
      // Steps are authored with the default names; the learner of a branded world types the branded command.
      await runShellLine({ host: world.host, send: (e) => world.send(e), loginInProgress: () => world.state().startsWith('signingIn') },
        brandCommand(step.line, world.names));
      return;
    case 'interrupt':
      world.host.print('^C', 'prompt');
      await world.send({ type: 'user.cancel' });
      return;
    case 'browser': {
      const code = codeFrom(world, step.enter);
      if (code === undefined) throw new Error(`lab step: no ${step.enter.replace(/-/g, ' ')} to enter`);
      const browser = world.browser;
      if (!browser.session) await browser.signIn(step.user ?? world.host.user);
      const page = await browser.enterCode(code);
      if (step.decide && page.status === 200) await browser.decide(code, step.decide, step.scopes);
      await world.settle();
      return;
    }
    case 'knobs':
      await world.reconfigure({
        ...(step.server ? { serverKnobs: step.server } : {}),
        ...(step.client ? { clientKnobs: { ...world.clientKnobs, ...step.client } } : {}),
      });
      return;
    case 'advance':
      await world.advance(step.seconds * 1000);
      return;
    case 'run-until':
      await world.runUntil(() => step.states.some((s) => world.state().startsWith(s)), (step.limitSeconds ?? 3600) * 1000);
      return;
    case 'attack':
      switch (step.move) {
        case 'read-places':
          await world.attack((a) => a.readPlaces(step.as));
          return;
        case 'replay-access-token':
          await world.attack((a) => a.replayAccessToken(undefined, step.call));
          return;
        case 'replay-refresh-token':
          await world.attack((a) => a.replayRefreshToken());
          return;
        case 'poll-device-code':
          await world.attack((a) => a.pollWithDeviceCode());
          return;
        case 'replay-without-dpop-key':
          await world.attack((a) => a.replayWithoutDpopKey());
          return;
        case 'phish':
          await world.attack((a) => a.phish(step.victim));
          return;
        case 'brute-force-user-codes':
          await world.attack((a) => a.bruteForceUserCodes(step.attempts));
          return;
        case 'enter-user-code':
          await world.attack((a) => a.enterUserCode());
          return;
      }
      return;
    case 'sign-out-everywhere': {
      const browser = world.browser;
      if (!browser.session) await browser.signIn(step.user ?? world.host.user);
      await browser.signOutEverywhere();
      await world.settle();
      return;
    }
  }
}

/** The code a learner would type: read off the terminal (user code) or off the wire log (device code). */
export function codeFrom(world: World, source: CodeSource): string | undefined {
  if (source === 'user-code-on-terminal') {
    const alphabet = USER_CODE_ALPHABETS[world.idp.as.knobs.userCodeAlphabet];
    const lines = world.terminal();
    for (let i = lines.length - 1; i >= 0; i--) {
      for (const word of lines[i]!.split(/\s+/)) {
        const code = normalizeUserCode(word, alphabet);
        if (code.length === world.idp.as.knobs.userCodeLength && world.idp.as.state.byUserCode.has(code)) return word;
      }
    }
    return undefined;
  }
  return deviceCodePolls(world).at(-1)?.deviceCode;
}

/** One CLI poll of the token endpoint with a device code, as the wire log shows it. */
export interface DevicePoll {
  deviceCode: string;
  at: number;
  status: number | undefined;
  error: string | undefined;
  /** The poll was answered with tokens. */
  tokens: boolean;
}

/** Every device-code poll the CLI made, oldest first (read from the wire log). */
export function deviceCodePolls(world: World): DevicePoll[] {
  const out: DevicePoll[] = [];
  for (const ex of world.wire.log) {
    if (ex.actor !== 'cli' || ex.request.method !== 'POST' || !ex.request.url.endsWith('/token')) continue;
    const form = new URLSearchParams(ex.request.body);
    if (form.get('grant_type') !== DEVICE_CODE_GRANT_TYPE) continue;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(ex.response?.body ?? '{}') as Record<string, unknown>;
    } catch {
      body = {};
    }
    out.push({
      deviceCode: form.get('device_code') ?? '', at: ex.startedAt, status: ex.response?.status,
      error: typeof body.error === 'string' ? body.error : undefined, tokens: typeof body.access_token === 'string',
    });
  }
  return out;
}

/** The CLI's polls grouped by device code (one group per login attempt), in order. */
export function pollsByLogin(world: World): DevicePoll[][] {
  const groups = new Map<string, DevicePoll[]>();
  for (const p of deviceCodePolls(world)) {
    const g = groups.get(p.deviceCode) ?? [];
    g.push(p);
    groups.set(p.deviceCode, g);
  }
  return [...groups.values()];
}
