/**
 * The authorization server's audit trail (G8, F23): who approved what, from where, what was issued, refreshed,
 * reused and revoked. Events name secrets by a short fingerprint, never by value, so the audit log itself is
 * not a place where tokens leak.
 */

export const AUDIT_EVENT_TYPES = [
  'device_code.issued',
  'device_code.expired',
  'device_code.reused',
  'user.signed_in',
  'user_code.entered',
  'user_code.rejected',
  'user_code.locked_out',
  'grant.approved',
  'grant.denied',
  'device_flow.blocked',
  'token.issued',
  'token.refreshed',
  'token.exchanged',
  'token.exchange_rejected',
  'refresh_token.reuse_detected',
  'token.revoked',
  'grant.revoked',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditDevice {
  ip: string;
  userAgent: string;
}

export interface AuditEvent {
  seq: number;
  at: number;
  type: AuditEventType;
  clientId?: string;
  user?: string;
  grantId?: string;
  /** Where the request that caused the event came from. */
  from?: AuditDevice;
  /** The device that asked for the code (for approvals). */
  device?: AuditDevice;
  /** Human-readable detail; never a secret value. */
  detail: string;
  /** Fingerprints (first 8 characters of a SHA-256-free hash) of the secrets involved. */
  refs?: string[];
}

export class AuditLog {
  readonly events: AuditEvent[] = [];
  #seq = 0;
  #listeners = new Set<(e: AuditEvent) => void>();

  record(event: Omit<AuditEvent, 'seq'>): AuditEvent {
    const e = { ...event, seq: ++this.#seq };
    this.events.push(e);
    for (const l of this.#listeners) l(e);
    return e;
  }

  ofType(type: AuditEventType): AuditEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  subscribe(listener: (e: AuditEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * A short, stable, non-reversible label for a secret (FNV-1a, 32 bits, hex): enough to tell tokens apart in
 * an audit view, far too short to be the secret.
 */
export function fingerprint(secret: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < secret.length; i++) {
    h ^= secret.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `#${h.toString(16).padStart(8, '0')}`;
}
