#!/usr/bin/env node
/**
 * `device-flow-lab-idp` (`npm run idp` from a clone): the rehearsal identity provider, for pointing a real CLI
 * at it, by hand or unattended in CI.
 */
import { assessServerKnobs } from '../sim/knobs.ts';
import { BIN_NAME, USAGE, isLoopbackHost, parseIdpArgs } from './args.ts';
import { cardText, isMustLevel, reportText } from './grade.ts';
import { formatStep } from './script.ts';
import { REPORT_PATH, startIdpServer, type RunningIdp } from './server.ts';

/** However busy the clients still are, `--exit-after` exits this long after the n-th login ended. */
const EXIT_AFTER_MAX_WAIT_MS = 30_000;

async function main(): Promise<number | undefined> {
  const parsed = parseIdpArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${BIN_NAME}: ${parsed.message}\n(${BIN_NAME} --help lists every option)\n`);
    return 2;
  }
  if (parsed.args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const a = parsed.args;
  const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

  let running: RunningIdp | undefined;
  try {
    running = await startIdpServer({
      port: a.port,
      host: a.host,
      ...(a.issuer ? { issuer: a.issuer } : {}),
      knobs: a.knobs,
      clients: a.clients,
      ...(a.scopes ? { scopes: a.scopes } : {}),
      ...(a.script ? { script: a.script } : {}),
      scripts: a.scripts,
      ...(a.autoApproveS !== undefined ? { autoApproveS: a.autoApproveS } : {}),
      ...(a.quiet ? {} : {
        onExchange: (l) => out(`${new Date().toISOString()} ${l.method} ${l.path} ${l.status}${l.error ? ` ${l.error}` : ''}`),
      }),
      onNotice: (text) => {
        if (!a.quiet || text.startsWith('hint:')) out(text);
      },
      onFlowEnded: (card, index) => out(`\n${cardText(card, index + 1)}`),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(err.code === 'EADDRINUSE' ? `${BIN_NAME}: port ${a.port} is in use; pick another with --port\n`
      : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' ? `${BIN_NAME}: cannot listen on --host ${a.host} (${err.code})\n`
        : `${BIN_NAME}: ${err.message}\n`);
    return 1;
  }
  const { issuer, idp } = running;
  const k = idp.as.knobs;
  const clients = idp.as.registry.clients.filter((c) => c.grantTypes.length > 0 && c.grantTypes.some((g) => g.includes('device_code')));
  const scriptLine = (id: string) => {
    const s = a.scripts.get(id) ?? a.script;
    return s ? `script ${s.map(formatStep).join(',')}` : a.autoApproveS !== undefined ? `auto-approve after ${a.autoApproveS} s` : 'a person decides';
  };
  if (!isLoopbackHost(a.host)) {
    process.stderr.write(`WARNING: listening on ${a.host}, not only on loopback. This is a rehearsal server: its people (${idp.as.registry.users.map((u) => u.id).join(', ')})
are simulated, anyone who can reach it can approve codes through /control/*, and it must never stand in
for a real identity provider or hold real users.\n`);
  }
  out(`Device Flow Lab identity provider (${idp.as.profile.label}), a rehearsal server with simulated people
issuer:     ${issuer}
metadata:   ${issuer}/.well-known/oauth-authorization-server
${clients.map((c) => `client:     ${c.clientId} (${c.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential: client_secret_basic or client_secret_post'}; device_code and refresh_token grants; ${scriptLine(c.clientId)})`).join('\n')}
scopes:     ${k.allowedScopes.join(' ')} (default ${k.defaultScopes.join(' ')})
api:        ${idp.apis[0]?.resource.id} (/me, /projects)
knobs:      interval ${k.intervalS ?? 'omitted'}; code lifetime ${k.codeLifetimeS} s; access token ${k.accessTokenLifetimeS} s; refresh rotation ${k.rotateRefreshTokens ? 'on' : 'off'}${k.dpopRequired ? '; DPoP required' : ''}
report:     ${issuer}${REPORT_PATH} (?format=text)${a.exitAfter !== undefined ? `; exits after ${a.exitAfter} login${a.exitAfter === 1 ? '' : 's'}` : ''}
${assessServerKnobs(k).filter((f) => f.severity === 'risk').map((f) => `risk:       ${f.message}\n`).join('')}
Try it:
  curl -s -d client_id=${clients[0]?.clientId ?? 'acme-cli'} ${issuer}/device_authorization
Then approve, deny, slow down or expire the pending code (any spelling of it works):
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/approve     (optional: -d user=bob -d scope=profile)
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/deny
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/slow-down
  curl -s -d user_code=ABCD-EFGH ${issuer}/control/expire
`);

  const stop = (code: number) => {
    void running.close().then(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(0));

  if (a.exitAfter !== undefined) {
    const n = a.exitAfter;
    const graceMs = a.exitGraceS * 1000;
    let reachedAt: number | undefined;
    const timer = setInterval(() => {
      if (running.observer.endedCount < n) return;
      reachedAt ??= Date.now();
      // Quiet for the grace period (the CLI's logout is done), or a client that never stops polling: exit anyway.
      if (Date.now() - running.lastRequestAt() < graceMs && Date.now() - reachedAt < Math.max(EXIT_AFTER_MAX_WAIT_MS, graceMs)) return;
      clearInterval(timer);
      const report = running.report();
      const mustFailures = report.flows.flatMap((f) => f.checks).filter((c) => c.result === 'fail' && isMustLevel(c.level));
      out(`\n=== Final report cards (${report.flows.length} login${report.flows.length === 1 ? '' : 's'}) ===\n\n${reportText(report)}`);
      out(mustFailures.length
        ? `${BIN_NAME}: ${mustFailures.length} MUST-level check${mustFailures.length === 1 ? '' : 's'} failed: ${[...new Set(mustFailures.map((c) => c.id))].join(', ')}; exit status 1`
        : `${BIN_NAME}: no MUST-level check failed; exit status 0`);
      stop(mustFailures.length ? 1 : 0);
    }, Math.min(200, Math.max(20, graceMs / 4)));
  }
  return undefined;
}

const code = await main();
if (code !== undefined) process.exitCode = code;
