/**
 * Scripted outcomes, applied. For each poll of a device code this layer takes the code's next script step and
 * carries it out through the authorization server's own operations (the same ones the consent page and the
 * control surface use: approve, deny, force a slow_down, expire), then the real token handler answers. So a
 * scripted slow_down still raises the interval the server enforces, approve issues real tokens, expire makes
 * the code expired at the server, and the audit log records each of them. `error`, `hang` and `reset` are
 * what the HTTP layer does with the exchange (server.ts); they do not change the code.
 */
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { expireDeviceGrant, forceSlowDown } from '../sim/authServer/control.ts';
import type { AuthorizationServer } from '../sim/authServer/index.ts';
import { refuseByPolicy } from '../sim/authServer/policy.ts';
import type { DeviceGrantRecord } from '../sim/authServer/state.ts';
import { approve, deny } from '../sim/authServer/verification.ts';
import { formatUserCode, USER_CODE_ALPHABETS } from '../protocol/userCode.ts';
import { formatStep, stepAt, type Script, type ScriptStep } from './script.ts';

/** What the HTTP layer does with this exchange (nothing special, unless the step says so). */
export type TransportPlan = { kind: 'error'; status: number } | { kind: 'hang'; ms: number } | { kind: 'reset' };

/** A poll the script applied a step to. */
export interface ScriptedPoll {
  transport?: TransportPlan;
  /** Call once the handler has answered (or the poll never reached it). */
  settle(): void;
}

export interface ScriptedPollsOptions {
  as: AuthorizationServer;
  /** Steps for every client without its own entry in `scripts`. */
  script?: Script;
  scripts?: ReadonlyMap<string, Script>;
  /** Approve each code of an unscripted client as the first person (alice) this long after it was issued. */
  autoApproveS?: number;
  /** One line per applied step, for the console. */
  onNotice?: (text: string) => void;
}

/** Who the audit log says decided: the script, not a browser. */
const SCRIPT_DEVICE = { ip: '127.0.0.1', userAgent: 'device-flow-lab-idp (scripted outcome)' };

export class ScriptedPolls {
  readonly #opts: ScriptedPollsOptions;
  readonly #nextStep = new Map<string, number>();
  readonly #timers = new Set<unknown>();

  constructor(opts: ScriptedPollsOptions) {
    this.#opts = opts;
  }

  scriptFor(clientId: string): Script | undefined {
    return this.#opts.scripts?.get(clientId) ?? this.#opts.script;
  }

  /**
   * Before the token handler sees a poll: apply the code's next step. Only a poll of a live, undecided code by
   * the client it was issued to advances the script; anything else is the handler's to answer as it is.
   */
  beforePoll(params: URLSearchParams, basicClientId: string | undefined): ScriptedPoll | undefined {
    const { as } = this.#opts;
    const deviceCode = params.get('device_code');
    if (deviceCode === null || params.get('grant_type') !== DEVICE_CODE_GRANT_TYPE) return undefined;
    const rec = as.state.deviceGrants.get(deviceCode);
    if (!rec || rec.status !== 'pending' || rec.expiresAt <= as.clock.now()) return undefined;
    if ((params.get('client_id') ?? basicClientId) !== rec.clientId) return undefined;
    const script = this.scriptFor(rec.clientId);
    if (!script) return undefined;
    const n = this.#nextStep.get(deviceCode) ?? 0;
    this.#nextStep.set(deviceCode, n + 1);
    const step = stepAt(script, n);
    this.#notice(rec, n, step);
    const forcedBefore = rec.forcedSlowDowns;
    const transport = this.#apply(rec, step);
    return {
      ...(transport ? { transport } : {}),
      // A poll that came too soon gets slow_down from the handler's own rate check and leaves the forced one
      // unspent: take it back, so the script's slow_down does not spill over onto the next poll.
      settle: () => {
        if (rec.forcedSlowDowns > forcedBefore) rec.forcedSlowDowns = forcedBefore;
      },
    };
  }

  /** Cancel pending auto-approvals (the server is closing). */
  close(): void {
    for (const id of this.#timers) this.#opts.as.clock.clearTimeout(id);
    this.#timers.clear();
  }

  /** After the device authorization endpoint issued a code: start the auto-approval clock, if asked. */
  codeIssued(deviceCode: string): void {
    const { as, autoApproveS } = this.#opts;
    const rec = as.state.deviceGrants.get(deviceCode);
    if (autoApproveS === undefined || !rec || this.scriptFor(rec.clientId)) return;
    const id = as.clock.setTimeout(() => {
      this.#timers.delete(id);
      if (rec.status !== 'pending' || rec.expiresAt <= as.clock.now()) return;
      const user = as.registry.users[0]?.id ?? 'alice';
      const blocked = refuseByPolicy(as, rec, user, SCRIPT_DEVICE);
      if (blocked) {
        this.#opts.onNotice?.(`auto-approve: ${rec.clientId} code ${this.#shown(rec)} not approved: ${blocked}`);
        return;
      }
      approve(as, rec, user, rec.scope, SCRIPT_DEVICE);
      this.#opts.onNotice?.(`auto-approve: ${rec.clientId} code ${this.#shown(rec)} approved as ${user} after ${autoApproveS} s`);
    }, autoApproveS * 1000);
    this.#timers.add(id);
  }

  #apply(rec: DeviceGrantRecord, step: ScriptStep): TransportPlan | undefined {
    const { as } = this.#opts;
    switch (step.kind) {
      case 'pending':
        return undefined;
      case 'slow_down':
        forceSlowDown(rec);
        return undefined;
      case 'approve': {
        const user = step.user ?? as.registry.users[0]?.id ?? 'alice';
        let scope = rec.scope;
        if (step.scope) {
          const kept = step.scope.filter((s) => rec.scope.includes(s));
          const dropped = step.scope.filter((s) => !rec.scope.includes(s));
          if (dropped.length) this.#opts.onNotice?.(`script: ${rec.clientId} did not ask for ${dropped.join(' ')}; a person can only approve what was asked for`);
          if (kept.length) scope = kept;
        }
        // The organisation's device-flow policy applies to a scripted approval as to any other (audited there).
        const blocked = refuseByPolicy(as, rec, user, SCRIPT_DEVICE);
        if (blocked) this.#opts.onNotice?.(`script: ${rec.clientId} code ${this.#shown(rec)} not approved: ${blocked}`);
        else approve(as, rec, user, scope, SCRIPT_DEVICE);
        return undefined;
      }
      case 'deny':
        deny(as, rec, as.registry.users[0]?.id ?? 'alice', SCRIPT_DEVICE);
        return undefined;
      case 'expire':
        expireDeviceGrant(as, rec);
        return undefined;
      case 'error':
        return { kind: 'error', status: step.status };
      case 'hang':
        return { kind: 'hang', ms: step.seconds * 1000 };
      case 'reset':
        return { kind: 'reset' };
    }
  }

  #shown(rec: DeviceGrantRecord): string {
    return formatUserCode(rec.userCode, USER_CODE_ALPHABETS[this.#opts.as.knobs.userCodeAlphabet]);
  }

  #notice(rec: DeviceGrantRecord, n: number, step: ScriptStep): void {
    this.#opts.onNotice?.(`script: ${rec.clientId} code ${this.#shown(rec)} poll ${n + 1}: ${formatStep(step)}`);
  }
}

/** The body of a scripted 5xx: an RFC 6749 §5.2-style error (503 is the "try later" one). */
export function scriptedErrorResponse(status: number): Response {
  const error = status === 503 ? 'temporarily_unavailable' : 'server_error';
  return new Response(JSON.stringify({ error, error_description: `scripted HTTP ${status} (--script error:${status})` }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}
