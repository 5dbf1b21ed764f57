/**
 * The headless lab runner: build the world a lab describes, replay steps through the same doors the page uses
 * (the shell, the learner's browser, `world.reconfigure`, `world.attack`, the clock), and read the objectives.
 * There is no lab-specific code path in src/sim or src/flow: a step is only ever something a learner (or a
 * scripted actor) could do in the page.
 */
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { USER_CODE_ALPHABETS, normalizeUserCode } from '../protocol/userCode.ts';
import { ADDRESSES } from '../world/addresses.ts';
import type { Names, World } from '../world/index.ts';
import { readExchange } from '../world/exchangeView.ts';
import { learnerOf } from '../world/learner.ts';
import { brandCommand } from './brand.ts';
import type { CodeSource, LabNearMiss, LabObjective, LabScenario, LabStep, NotYet, Verdict } from './types.ts';

/** Anything with a scenario (a loaded `Lab`, or a bare scenario in tests). */
export interface HasScenario {
  scenario: LabScenario;
}

/**
 * The world as the learner finds it: built from the setup, with the prelude (what already happened) replayed.
 * `names` brands it (an embedding team's organisation, CLI and identity provider).
 */
export async function startLab(lab: HasScenario, names?: Partial<Names>): Promise<World> {
  // The engine loads when a world is first built, so a page that imports the runner (the lab view, for its
  // objectives) does not carry it in its first load.
  const { createWorld } = await import('../world/index.ts');
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
  /** Why it does not hold yet, in words (the predicate's `notYet` reason); absent when done. */
  reason?: string;
}

/** Said when a predicate gives no reason (the lab check fails such a lab) or throws. */
export const NO_REASON = 'The lab cannot say why: this objective gave no reason.';

export function objectiveStatus(lab: HasScenario, world: World): ObjectiveStatus[] {
  return lab.scenario.objectives.map((o: LabObjective) => {
    const verdict = safeHolds(o, world);
    return verdict === true ? { id: o.id, text: o.text, done: true } : { id: o.id, text: o.text, done: false, reason: verdict.reason };
  });
}

/** An objective whose predicate throws (or answers anything but `true` or a reason) does not hold. */
function safeHolds(o: LabObjective, world: World): Verdict {
  try {
    const v: unknown = o.holds(world);
    if (v === true) return true;
    const reason = (v as Partial<NotYet> | undefined)?.reason;
    return { reason: typeof reason === 'string' && reason.trim() ? reason : NO_REASON };
  } catch (error) {
    return { reason: `${NO_REASON} (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** A near miss replayed: whether its objective ever held (after any step), and what holds at the end. */
export interface NearMissOutcome {
  /** Indexes (into `after` solution steps then `steps`, counted together) after which the objective held. */
  heldAfter: number[];
  /** Objective ids holding at the end. */
  done: string[];
  /** The objective's why-not reason at the end (undefined if it holds). */
  reason: string | undefined;
}

/**
 * Replay a near miss on a world started with `startLab`: the first `after` solution steps, then its steps,
 * reading the objective after each one (the lab view re-reads it on every change, and a tick stays).
 */
export async function replayNearMiss(lab: HasScenario, world: World, miss: LabNearMiss): Promise<NearMissOutcome> {
  const objective = lab.scenario.objectives.find((o) => o.id === miss.objective);
  if (!objective) throw new Error(`near miss "${miss.name}": no objective "${miss.objective}"`);
  const steps = [...lab.scenario.solution.slice(0, miss.after ?? 0), ...miss.steps];
  const heldAfter: number[] = [];
  if (safeHolds(objective, world) === true) heldAfter.push(-1);
  for (const [i, step] of steps.entries()) {
    await runStep(world, step);
    if (safeHolds(objective, world) === true) heldAfter.push(i);
  }
  const status = objectiveStatus(lab, world);
  return { heldAfter, done: status.filter((o) => o.done).map((o) => o.id), reason: status.find((o) => o.id === miss.objective)?.reason };
}

/** One step, done through the world's learner actions (`src/world/learner.ts`), as the page does them. */
export async function runStep(world: World, step: LabStep): Promise<void> {
  const learner = learnerOf(world);
  switch (step.do) {
    case 'type':
      // Steps are authored with the default names; the learner of a branded world types the branded command.
      await learner.type(brandCommand(step.line, world.names));
      return;
    case 'interrupt':
      await learner.interrupt();
      return;
    case 'browser': {
      const code = codeFrom(world, step.enter);
      if (code === undefined) throw new Error(`lab step: no ${step.enter.replace(/-/g, ' ')} to enter`);
      await learner.enterCodeInBrowser(code, {
        user: step.user ?? world.host.user, ...(step.decide ? { decide: step.decide } : {}), ...(step.scopes ? { scopes: step.scopes } : {}),
      });
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
      await world.runUntil(() => learnerOf(world).inState(...step.states), (step.limitSeconds ?? 3600) * 1000);
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
          await world.attack((a) => a.phish(step.victim, step.target));
          return;
        case 'qr-phish':
          await world.attack((a) => a.qrPhish(step.victim, step.target));
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
      await learner.signOutEverywhere(step.user ?? world.host.user);
      await world.settle();
      return;
    }
    case 'revoke-grant': {
      const grantId = grantIssuedTo(world, step.issuedTo);
      if (grantId === undefined) throw new Error(`lab step: the audit log shows no grant issued to the ${step.issuedTo}`);
      await learner.revokeGrant(step.user ?? world.host.user, grantId);
      await world.settle();
      return;
    }
  }
}

/** The newest grant whose tokens the audit log shows issued to that actor's address (what an investigator reads). */
export function grantIssuedTo(world: World, holder: 'attacker' | 'cli'): string | undefined {
  const ip = ADDRESSES[holder];
  return world.provider.audit('token.issued').filter((e) => e.from?.ip === ip && e.grantId).at(-1)?.grantId;
}

/** The code a learner would type: read off the terminal (user code) or off the wire log (device code). */
export function codeFrom(world: World, source: CodeSource): string | undefined {
  if (source === 'user-code-on-terminal') {
    const alphabet = USER_CODE_ALPHABETS[world.provider.knobs.userCodeAlphabet];
    const lines = world.terminal();
    for (let i = lines.length - 1; i >= 0; i--) {
      for (const word of lines[i]!.split(/\s+/)) {
        const code = normalizeUserCode(word, alphabet);
        if (code.length === world.provider.knobs.userCodeLength && world.provider.deviceGrantOfUserCode(code) !== undefined) return word;
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
    const view = readExchange(ex);
    if (view.grantType !== DEVICE_CODE_GRANT_TYPE) continue;
    out.push({
      deviceCode: view.form.get('device_code') ?? '', at: ex.startedAt, status: view.status,
      error: view.jsonError, tokens: typeof view.json?.access_token === 'string',
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
