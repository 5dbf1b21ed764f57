/**
 * The organisation's device-flow policies, read from the server knobs (no lab has a path of its own here):
 * which clients may start a device flow (`deviceGrantClients`), and which people may approve one
 * (`deviceFlowUsers`, a tenant policy like Microsoft Entra's Conditional Access "authentication flows" condition).
 */
import { DEVICE_CODE_GRANT_TYPE } from '../../protocol/constants.ts';
import { fingerprint, type AuditDevice } from '../audit.ts';
import type { ServerKnobs } from '../knobs.ts';
import type { ClientRegistration, SimUser } from '../registry.ts';
import type { ServerCore } from './context.ts';
import type { DeviceGrantRecord } from './state.ts';

/** The group whose members may use the device flow when `deviceFlowUsers` is `engineering`. */
export const DEVICE_FLOW_GROUP = 'engineering';

/**
 * Whether `client` may use the device code grant: registered for it, or (with the insecure
 * `any-public-client`) any public client, as if every app registration allowed public client flows.
 */
export function mayUseDeviceGrant(knobs: Pick<ServerKnobs, 'deviceGrantClients'>, client: ClientRegistration): boolean {
  return client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)
    || (knobs.deviceGrantClients === 'any-public-client' && client.tokenEndpointAuthMethod === 'none');
}

/** Why the tenant's policy does not let `user` approve a device code, or `undefined` when it does. */
export function deviceFlowBlockedFor(knobs: Pick<ServerKnobs, 'deviceFlowUsers'>, user: SimUser | undefined): string | undefined {
  if (knobs.deviceFlowUsers === 'everyone') return undefined;
  if (user?.groups?.includes(DEVICE_FLOW_GROUP)) return undefined;
  return `blocked by the organisation's device-flow policy: ${user?.id ?? 'this account'} is not in the ${DEVICE_FLOW_GROUP} group, the only people allowed to sign in devices`;
}

/**
 * When the tenant's policy leaves `userId` out, record the block in the audit trail (who, which client, which
 * device asked, from where) and return why; otherwise `undefined`. Every way of approving a code asks this first.
 */
export function refuseByPolicy(core: ServerCore, rec: DeviceGrantRecord, userId: string, from: AuditDevice): string | undefined {
  const blocked = deviceFlowBlockedFor(core.knobs, core.registry.users.find((u) => u.id === userId));
  if (!blocked) return undefined;
  core.audit.record({ at: core.clock.now(), type: 'device_flow.blocked', clientId: rec.clientId, user: userId, from, device: rec.device,
    detail: blocked, refs: [fingerprint(rec.deviceCode)] });
  return blocked;
}
