/**
 * How `acme api ...` hands the token to the sub-process that calls the API (knob `tokenDelivery`; failure mode
 * F10, guidance G2). From the store, nothing secret is on the command line or in the environment; `--token`
 * puts it in argv (shell history, `ps`); an exported variable puts it in the environment of every later process.
 */
import type { TokenDelivery } from './knobs.ts';
import { CLI_NAME, tokenEnvVar, type CliEmitted, type HttpMethod } from './types.ts';

export function subprocessLaunch(
  delivery: TokenDelivery,
  call: { method: HttpMethod; path: string },
  accessToken: string,
  cliName: string = CLI_NAME,
): Extract<CliEmitted, { type: 'cli.exec' }> {
  const argv = [cliName, 'api', call.method, call.path];
  switch (delivery) {
    case 'store':
      return { type: 'cli.exec', argv, env: {} };
    case 'argv':
      return { type: 'cli.exec', argv: [...argv, '--token', accessToken], env: {} };
    case 'env':
      return { type: 'cli.exec', argv, env: { [tokenEnvVar(cliName)]: accessToken } };
  }
}
