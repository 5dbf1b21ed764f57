/**
 * Rehearsal control surface for `npm run idp` (loopback only): approve, deny or force a slow_down for a
 * pending user code without a browser, so a team can drive its own CLI through every outcome.
 *   POST /control/approve    user_code=WDJB-MJHT [user=alice] [scope=profile]
 *   POST /control/deny       user_code=WDJB-MJHT [user=alice]
 *   POST /control/slow-down  user_code=WDJB-MJHT [count=1]
 *   POST /control/expire     user_code=WDJB-MJHT     (the code's lifetime ends now: the next poll gets expired_token)
 */
import { JSON_CONTENT_TYPE } from '../../protocol/constants.ts';
import { fingerprint } from '../audit.ts';
import { parseForm } from '../../protocol/form.ts';
import { USER_CODE_ALPHABETS, normalizeUserCode } from '../../protocol/userCode.ts';
import { deviceOf, type RequestMeta, type ServerCore } from './context.ts';
import { noStoreHeaders } from './http.ts';
import type { DeviceGrantRecord } from './state.ts';
import { approve, deny } from './verification.ts';
import { refuseByPolicy } from './policy.ts';

/** Answer slow_down to the next `count` polls of this code (each one still raises its interval by 5 s). */
export function forceSlowDown(rec: DeviceGrantRecord, count = 1): void {
  rec.forcedSlowDowns += count;
}

/**
 * End a code's lifetime now, as if `expires_in` had run out: the user code stops working and the next poll gets
 * `expired_token` from the token endpoint's own expiry check. Recorded in the audit log once.
 */
export function expireDeviceGrant(core: ServerCore, rec: DeviceGrantRecord): void {
  const now = core.clock.now();
  if (rec.expiresAt > now) rec.expiresAt = now;
  if (rec.expiryAudited || rec.status === 'consumed' || rec.status === 'denied') return;
  rec.expiryAudited = true;
  core.audit.record({ at: now, type: 'device_code.expired', clientId: rec.clientId, detail: 'the device code was expired early by the rehearsal control', refs: [fingerprint(rec.deviceCode)] });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: noStoreHeaders(`${JSON_CONTENT_TYPE}; charset=utf-8`) });
}

export async function handleControl(core: ServerCore, request: Request, action: string, meta?: RequestMeta): Promise<Response> {
  if (request.method !== 'POST') return json({ error: 'invalid_request', error_description: 'POST only' }, 405);
  const parsed = parseForm(await request.text().catch(() => ''));
  if (!parsed.ok) return json({ error: 'invalid_request', error_description: `repeated parameter ${parsed.repeated.slice(0, 40)}` }, 400);
  const { params } = parsed;
  const code = normalizeUserCode(params.get('user_code') ?? '', USER_CODE_ALPHABETS[core.knobs.userCodeAlphabet]);
  const rec = core.state.byUserCode.get(code);
  if (!rec) return json({ error: 'invalid_user_code', error_description: 'no such user code' }, 404);
  if (rec.expiresAt <= core.clock.now()) return json({ error: 'expired_user_code', error_description: 'that user code has expired' }, 400);
  if (rec.status !== 'pending' && action !== 'slow-down') {
    return json({ error: 'user_code_already_used', error_description: `that user code is already ${rec.status}` }, 409);
  }
  const userId = params.get('user') ?? core.registry.users[0]?.id ?? 'alice';
  if (!core.registry.users.some((u) => u.id === userId)) return json({ error: 'unknown_user', error_description: `no user ${userId.slice(0, 40)}` }, 400);
  const from = deviceOf(request, meta);
  switch (action) {
    case 'approve': {
      const scopeParam = params.get('scope');
      const scope = scopeParam === undefined ? rec.scope : scopeParam.split(' ').filter(Boolean);
      if (scope.length === 0 || scope.some((s) => !rec.scope.includes(s))) {
        return json({ error: 'invalid_scope', error_description: `approve a subset of "${rec.scope.join(' ')}"` }, 400);
      }
      const blocked = refuseByPolicy(core, rec, userId, from);
      if (blocked) return json({ error: 'blocked_by_policy', error_description: blocked }, 403);
      approve(core, rec, userId, scope, from);
      return json({ status: 'approved', user: userId, scope: scope.join(' ') });
    }
    case 'deny':
      deny(core, rec, userId, from);
      return json({ status: 'denied', user: userId });
    case 'slow-down': {
      const count = Math.min(10, Math.max(1, Number.parseInt(params.get('count') ?? '1', 10) || 1));
      forceSlowDown(rec, count);
      return json({ status: 'slow_down_scheduled', count });
    }
    case 'expire':
      expireDeviceGrant(core, rec);
      return json({ status: 'expired' });
    default:
      return json({ error: 'not_found', error_description: 'unknown control action' }, 404);
  }
}
