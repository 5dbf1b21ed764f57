/**
 * The CLI client for the world and the UI: the machine, its contract (input, events, emitted events), the
 * storage port and the client knobs.
 */
export { cliMachine, type CliMachine } from './machine.ts';
export * from './types.ts';
export * from './ports.ts';
export * from './knobs.ts';
export { storagePlan, describeTarget, credentialsPath, keychainService, CREDENTIALS_PATH, KEYCHAIN_SERVICE, type StoragePlan } from './storage.ts';
export { NetworkError, type FetchFn } from './http.ts';
