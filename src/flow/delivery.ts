/**
 * How `acme api ...` hands the token to the sub-process that calls the API (knob `tokenDelivery`; failure mode
 * F10, guidance G2). From the store, nothing secret is on the command line or in the environment; `--token`
 * puts it in argv (shell history, `ps`); an exported variable puts it in the environment of every later process.
 */
import type { TokenDelivery } from './knobs.ts';
import { CLI_NAME, TOKEN_ENV_VAR, type CliEmitted, type HttpMethod } from './types.ts';

export function subprocessLaunch(
  delivery: TokenDelivery,
  call: { method: HttpMethod; path: string },
  accessToken: string,
): Extract<CliEmitted, { type: 'cli.exec' }> {
  const argv = [CLI_NAME, 'api', call.method, call.path];
  switch (delivery) {
    case 'store':
      return { type: 'cli.exec', argv, env: {} };
    case 'argv':
      return { type: 'cli.exec', argv: [...argv, '--token', accessToken], env: {} };
    case 'env':
      return { type: 'cli.exec', argv, env: { [TOKEN_ENV_VAR]: accessToken } };
  }
}
