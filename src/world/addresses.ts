/**
 * The world's fixed addresses, in a module of their own (no imports) so that the page's first load, the labs'
 * scenarios and the runner can name them without pulling in the engine (src/world/index.ts re-exports them).
 */

/** The API base URL the CLI calls (`${API_BASE}/api/me`); its resource id is `${API_BASE}/api`. */
export const SIM_API_BASE = 'https://api.acme.test';

/** Network addresses of the actors, as the servers see them. */
export const ADDRESSES = { cli: '192.0.2.10', browser: '198.51.100.23', attacker: '203.0.113.66', victim: '198.51.100.23' } as const;
