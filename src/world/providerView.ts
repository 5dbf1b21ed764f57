/**
 * A read-only view of the identity provider for labs and the page: its audit trail, the secrets it issued
 * (and whether it would still accept each), its grants, tokens and device codes, and the knobs in force.
 * Everything is read from the authorization server when asked (nothing is copied, so nothing can go stale),
 * and nothing here can change the server: labs judge the world through this view, never through `idp.as`.
 */
import type { JWK } from 'jose';
import type { AuditEvent, AuditEventType } from '../sim/audit.ts';
import type { AuthorizationServer, IssuedSecret } from '../sim/authServer/index.ts';
import type { AccessTokenRecord, DeviceGrantRecord, GrantRecord, RefreshTokenRecord } from '../sim/authServer/state.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import type { SimUser } from '../sim/registry.ts';

export type { AuditEvent, AuditEventType, IssuedSecret };

export interface ProviderView {
  /** The issuer identifier (RFC 8414 §2). */
  readonly issuer: string;
  /** The public keys that verify its access tokens (what its `/jwks` serves). */
  publicJwks(): readonly JWK[];
  /** The server knobs in force now (they change with `world.reconfigure`). */
  readonly knobs: Readonly<ServerKnobs>;
  /** The people registered at the identity provider. */
  readonly users: ReadonlyArray<Readonly<SimUser>>;
  /** The audit trail, oldest first; given types, only events of those types. */
  audit(...types: AuditEventType[]): ReadonlyArray<Readonly<AuditEvent>>;
  /** Be told of each new audit event; returns the unsubscribe function. */
  onAudit(listener: (e: Readonly<AuditEvent>) => void): () => void;
  /** Every secret the server issued, and whether it would accept it now. */
  issuedSecrets(): ReadonlyArray<Readonly<IssuedSecret>>;
  /** Whether the server would accept this secret value now (false for a value it never issued). */
  isUsable(value: string): boolean;
  /** The values of the secrets the server would accept now. */
  usableValues(): ReadonlySet<string>;
  /** A grant (one approval of one client by one person) by id. */
  grant(id: string): Readonly<GrantRecord> | undefined;
  grants(): ReadonlyArray<Readonly<GrantRecord>>;
  /** The access-token record for a token value. */
  accessToken(value: string): Readonly<AccessTokenRecord> | undefined;
  accessTokens(): ReadonlyArray<Readonly<AccessTokenRecord>>;
  /** Refresh tokens, all or of one grant. */
  refreshTokens(grantId?: string): ReadonlyArray<Readonly<RefreshTokenRecord>>;
  /** Device authorization requests (RFC 8628 §3.1), oldest first. */
  deviceGrants(): ReadonlyArray<Readonly<DeviceGrantRecord>>;
  /** The device authorization request a user code names, if the server issued it. */
  deviceGrantOfUserCode(userCode: string): Readonly<DeviceGrantRecord> | undefined;
}

export function providerView(as: AuthorizationServer): ProviderView {
  const usableValues = () => new Set(as.issuedSecrets().filter((s) => s.usable).map((s) => s.value));
  return {
    issuer: as.issuer,
    publicJwks: () => as.publicJwks(),
    get knobs() {
      return as.knobs;
    },
    get users() {
      return as.registry.users;
    },
    audit: (...types) => (types.length === 0 ? as.audit.events.slice() : as.audit.events.filter((e) => types.includes(e.type))),
    onAudit: (listener) => as.audit.subscribe(listener),
    issuedSecrets: () => as.issuedSecrets(),
    isUsable: (value) => as.issuedSecrets().find((s) => s.value === value)?.usable === true,
    usableValues,
    grant: (id) => as.state.grants.get(id),
    grants: () => [...as.state.grants.values()],
    accessToken: (value) => as.state.accessTokensByValue.get(value),
    accessTokens: () => [...as.state.accessTokens.values()],
    refreshTokens: (grantId) => (grantId === undefined ? [...as.state.refreshTokens.values()] : as.state.refreshTokensOf(grantId)),
    deviceGrants: () => [...as.state.deviceGrants.values()],
    deviceGrantOfUserCode: (userCode) => as.state.byUserCode.get(userCode),
  };
}
