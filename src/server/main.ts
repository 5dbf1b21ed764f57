/**
 * `npm run idp`: the simulated identity provider on loopback, for pointing a real CLI at it.
 */
import { DEFAULT_CLIENT_ID } from '../sim/registry.ts';
import { assessServerKnobs } from '../sim/knobs.ts';
import { USAGE, parseIdpArgs } from './args.ts';
import { startIdpServer } from './server.ts';

async function main(): Promise<number | undefined> {
const parsed = parseIdpArgs(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`idp: ${parsed.message}\n\n${USAGE}\n`);
  return 2;
}
if (parsed.args.help) {
  process.stdout.write(`${USAGE}\n`);
  return 0;
}
const { port, knobs, quiet } = parsed.args;

const running = await startIdpServer({
  port,
  knobs,
  ...(quiet ? {} : {
    onExchange: (l) => process.stdout.write(`${new Date().toISOString()} ${l.method} ${l.path} ${l.status}${l.error ? ` ${l.error}` : ''}\n`),
  }),
}).catch((e: NodeJS.ErrnoException) => {
  process.stderr.write(e.code === 'EADDRINUSE' ? `idp: port ${port} is in use; pick another with --port\n` : `idp: ${e.message}\n`);
  return undefined;
});
if (!running) return 1;

const { issuer, idp } = running;
const k = idp.as.knobs;
process.stdout.write(`Device Flow Lab identity provider (${idp.as.profile.label})
issuer:     ${issuer}
metadata:   ${issuer}/.well-known/oauth-authorization-server
client:     ${DEFAULT_CLIENT_ID} (public; device_code and refresh_token grants; refresh rotation ${k.rotateRefreshTokens ? 'on' : 'off'})
api:        ${idp.apis[0]?.resource.id} (/me, /projects)
knobs:      interval ${k.intervalS ?? 'omitted'}; code lifetime ${k.codeLifetimeS} s; access token ${k.accessTokenLifetimeS} s
${assessServerKnobs(k).filter((f) => f.severity === 'risk').map((f) => `risk:       ${f.message}\n`).join('')}
Try it:
  curl -s -d client_id=${DEFAULT_CLIENT_ID} ${issuer}/device_authorization
Then approve, deny or slow down the pending code (any spelling of it works):
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/approve     (optional: -d user=bob -d scope=profile)
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/deny
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/slow-down
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
