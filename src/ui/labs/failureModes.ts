/** The failure modes the labs teach (design/failure-modes.md): a short name and the symptom, for the gallery. */
export interface FailureMode {
  name: string;
  symptom: string;
}

export const FAILURE_MODES: Readonly<Record<string, FailureMode>> = {
  F1: { name: 'Polls faster than `interval`', symptom: 'server answers `slow_down`, request counter and server load climb' },
  F2: { name: '`slow_down` treated as fatal', symptom: 'CLI aborts although the user approved' },
  F3: { name: 'Wrong back-off (+1 s, or resets)', symptom: '`slow_down` repeats; interval never reaches the floor' },
  F4: { name: 'No deadline, ignores `expires_in`', symptom: 'CLI polls forever after expiry' },
  F5: { name: '`access_denied` retried', symptom: 'terminal keeps spinning after Deny' },
  F6: { name: 'Token in debug log / CI log', symptom: 'token in a log readable by others; attacker replays it' },
  F7: { name: '`device_code` printed or logged', symptom: 'a reader polls with it and races the CLI for the token' },
  F8: { name: 'Credentials file 0644', symptom: '`ls -l` shows `-rw-r--r--`; another local user reads it' },
  F9: { name: 'Silent plaintext fallback without keyring', symptom: 'one warning scrolls by; token now in a file' },
  F10: { name: 'Token passed as flag or exported env var', symptom: 'token in shell history and in `ps`' },
  F11: { name: 'Logout only deletes locally', symptom: "attacker's copy still works until it expires" },
  F12: { name: 'Long-lived access token', symptom: 'stolen token valid for weeks' },
  F13: { name: 'Refresh token without rotation', symptom: 'stolen refresh token mints tokens indefinitely' },
  F14: { name: 'Over-broad scope', symptom: 'consent lists admin scopes; stolen token can delete' },
  F15: { name: 'Remote device-code phishing', symptom: "attacker starts a flow, victim approves attacker's code, attacker's terminal gets tokens" },
  F16: { name: 'Consent page without context', symptom: 'the victim cannot tell which client or place asked' },
  F17: { name: '`verification_uri_complete` approves in one click', symptom: 'a link approves whatever code it carries' },
  F18: { name: 'Weak user codes, no attempt limit', symptom: 'brute force finds a live code within its lifetime' },
  F19: { name: 'Session spying', symptom: "an onlooker enters the code first; the CLI gets the spy's account" },
  F20: { name: 'Bearer token replayed from another host', symptom: 'replay succeeds' },
  F21: { name: 'Shared host cache survives logout', symptom: 'the next operator is already logged in as you' },
  F22: { name: "CI job uses a person's device-flow token", symptom: 'automation acts as a person, long-lived, unrevoked' },
  F23: { name: 'No audit trail', symptom: 'cannot answer who approved what, from where, and when it was revoked' },
  F24: { name: 'Device flow where PKCE fits', symptom: 'same-device tool exposed to phishing for no reason' },
  F25: { name: 'Real IdP quirks break the client', symptom: 'GitHub returns errors with HTTP 200; Entra says `authorization_declined`' },
};
