/**
 * What the authorization server remembers: device grants, grants (token families), access and refresh
 * tokens, browser sessions. In memory, on the world's clock.
 */
import type { AuditDevice } from '../audit.ts';

export type DeviceGrantStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/** One device authorization request (RFC 8628 §3.1-3.2) and its fate. */
export interface DeviceGrantRecord {
  deviceCode: string;
  /** Normalised (alphabet characters only). */
  userCode: string;
  clientId: string;
  scope: string[];
  resource: string;
  createdAt: number;
  expiresAt: number;
  /** Current minimum interval for this code, seconds (grows by 5 on every slow_down). */
  intervalS: number;
  /**
   * The baseline for "too soon": when the last poll that was not too early arrived (answered normally, or with a
   * slow_down forced by the rehearsal control). A too-early poll does not move it.
   */
  lastAcceptedPollAt?: number;
  polls: number;
  slowDowns: number;
  status: DeviceGrantStatus;
  /** The browser session that entered the code first (RFC 8628 §5.5). */
  boundSessionId?: string;
  approvedBy?: string;
  grantedScope?: string[];
  decidedAt?: number;
  /** The device that asked for the code (RFC 8628 §5.4: shown on the consent page). */
  device: AuditDevice & { at: number };
  /** The grant (token family) created on redemption. */
  grantId?: string;
  /** Rehearsal control: answer slow_down to this many upcoming polls. */
  forcedSlowDowns: number;
  expiryAudited?: boolean;
}

/** A grant: the token family born from one approved device code. */
export interface GrantRecord {
  id: string;
  clientId: string;
  sub: string;
  scope: string[];
  resource: string;
  createdAt: number;
  revokedAt?: number;
  revokedReason?: string;
}

export interface AccessTokenRecord {
  jti: string;
  value: string;
  grantId: string;
  clientId: string;
  sub: string;
  scope: string[];
  aud: string;
  issuedAt: number;
  expiresAt: number;
  jkt?: string;
  revokedAt?: number;
}

export interface RefreshTokenRecord {
  value: string;
  grantId: string;
  clientId: string;
  sub: string;
  /** The scope the user consented to; a refresh may narrow the access token, never this. */
  scope: string[];
  resource: string;
  jkt?: string;
  issuedAt: number;
  /** Absolute expiry of the family. */
  expiresAt: number;
  lastUsedAt: number;
  status: 'active' | 'rotated' | 'revoked';
}

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: number;
  from: AuditDevice;
  /** Times of wrong user-code attempts (for the attempt limit). */
  failedAttempts: number[];
}

/** A secret the server issued, for the exposure ledger (architecture seam 3). */
export interface IssuedSecret {
  kind: 'device_code' | 'user_code' | 'access_token' | 'refresh_token' | 'session';
  value: string;
  clientId?: string;
  sub?: string;
  issuedAt: number;
  /** Would the server accept it right now? */
  usable: boolean;
  /** Why not, when it is not. */
  status: string;
}

export class AuthState {
  readonly deviceGrants = new Map<string, DeviceGrantRecord>();
  readonly byUserCode = new Map<string, DeviceGrantRecord>();
  readonly grants = new Map<string, GrantRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly accessTokensByValue = new Map<string, AccessTokenRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Times of wrong user-code attempts per source address, so fresh sign-ins do not reset the limit. */
  readonly failedCodeAttemptsByAddress = new Map<string, number[]>();

  addAccessToken(rec: AccessTokenRecord): void {
    this.accessTokens.set(rec.jti, rec);
    this.accessTokensByValue.set(rec.value, rec);
  }

  accessTokensOf(grantId: string): AccessTokenRecord[] {
    return [...this.accessTokens.values()].filter((t) => t.grantId === grantId);
  }

  refreshTokensOf(grantId: string): RefreshTokenRecord[] {
    return [...this.refreshTokens.values()].filter((t) => t.grantId === grantId);
  }
}
