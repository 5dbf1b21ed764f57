/**
 * The shell of the CLI's host: what the learner types into the terminal. `<cli> ...` commands (the host's CLI name) become events
 * for the CLI machine; `ls`, `cat`, `history`, `env` and `ps` reveal what the CLI left on the host (the same
 * places the exposure ledger scans). Every line typed lands in shell history, as on a real machine. Output goes
 * into the host's scrollback, which is what the terminal shows (and what the ledger reads). `support-ticket`
 * pastes the last lines of that scrollback into a support ticket, as people do when support asks for output.
 */
import type { CliEvent, HttpMethod } from '../flow/types.ts';
import type { Host } from './host.ts';
import { modeString } from './ledger.ts';

export interface ShellEnvironment {
  host: Host;
  /** Deliver an event to the CLI machine (and let it settle). */
  send(event: CliEvent): Promise<void>;
  /** Is a login in progress (so Ctrl+C means something)? */
  loginInProgress(): boolean;
}

export interface ShellOutcome {
  /** `clear`: the terminal should hide what is above (the scrollback itself is kept, as in real terminals). */
  clear?: boolean;
  /** `<cli> login` without `--no-browser`: open the verification page in the browser frame. */
  openBrowser?: boolean;
}

const API_METHODS: Record<string, HttpMethod> = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE' };

export const PROMPT = '$';

/** Split a command line into words (double and single quotes group; no other shell syntax). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

export function helpText(cli: string): string[] {
  return [
    `${cli} login [--no-browser] [--scope <scope>]   sign in with the device flow`,
    `${cli} whoami                                   who the stored token belongs to`,
    `${cli} api <get|post|delete> <path>             call the API (e.g. ${cli} api get /api/projects)`,
    `${cli} token                                    print the access token (a risky habit)`,
    `${cli} logout                                   sign out`,
    'ls -la <dir>, cat <file>, history, env, ps     look at what the CLI left on this machine',
    'support-ticket [lines]                         paste the last lines of this terminal (default 40) into a support ticket',
    'clear, help; Ctrl+C cancels a login',
  ];
}

/** Run one command line. Unknown input gets a clear message; nothing throws. */
export async function runShellLine(env: ShellEnvironment, line: string): Promise<ShellOutcome> {
  const { host } = env;
  const out = (text: string, style = 'info') => host.print(text, style);
  const trimmed = line.trim().slice(0, 2000);
  host.print(`${PROMPT} ${trimmed}`, 'prompt');
  if (!trimmed) return {};
  host.typed(trimmed);
  const [cmd, ...args] = splitWords(trimmed);
  const cli = host.cliName;

  switch (cmd) {
    case 'help':
      for (const l of helpText(cli)) out(l);
      return {};
    case 'clear':
      return { clear: true };
    case 'history':
      host.shellHistory.forEach((h, i) => out(`${String(i + 1).padStart(5)}  ${h.text}`));
      return {};
    case 'env':
      for (const [k, v] of Object.entries({ HOME: `/home/${host.user}`, USER: host.user, SHELL: '/bin/bash', ...host.environment })) out(`${k}=${v}`);
      return {};
    case 'ps':
      out('  PID USER     COMMAND');
      out(`    1 root     /sbin/init`);
      for (const p of host.processes) out(`${String(p.pid).padStart(5)} ${p.user.padEnd(8)} ${p.argv.join(' ')}`);
      return {};
    case 'ls':
      return listFiles(host, args, out);
    case 'cat':
      return catFiles(host, args, out);
    case 'export': {
      // `host.typed` already applied the assignment; nothing to print.
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args.join(' '))) out('export: usage: export NAME=value', 'error');
      return {};
    }
    case 'support-ticket':
      return pasteToSupport(host, args, out);
    // Only the CLI's own name runs it: a branded world has no `acme` on its PATH, as a real team's machine would not.
    case cli:
      return runCli(env, args, out);
    default:
      out(`${cmd}: command not found (type help)`, 'error');
      return {};
  }
}

async function runCli(env: ShellEnvironment, args: string[], out: (text: string, style?: string) => void): Promise<ShellOutcome> {
  const cli = env.host.cliName;
  const [sub, ...rest] = args;
  switch (sub) {
    case 'login': {
      const scopes: string[] = [];
      let noBrowser = false;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '--no-browser') noBrowser = true;
        else if (rest[i] === '--scope' && rest[i + 1]) scopes.push(rest[++i]!);
        else {
          out(`${cli} login: unknown option ${rest[i]}`, 'error');
          return {};
        }
      }
      await env.send({ type: 'user.login', ...(scopes.length ? { scopes } : {}) });
      return { openBrowser: !noBrowser };
    }
    case 'whoami':
      await env.send({ type: 'user.whoami' });
      return {};
    case 'token':
      await env.send({ type: 'user.token' });
      return {};
    case 'logout':
      await env.send({ type: 'user.logout' });
      return {};
    case 'api': {
      const method = API_METHODS[(rest[0] ?? '').toLowerCase()];
      const path = rest[1];
      if (!method || !path || !path.startsWith('/')) {
        out(`usage: ${cli} api <get|post|put|patch|delete> </path>`, 'error');
        return {};
      }
      await env.send({ type: 'user.api', method, path: path.startsWith('/api/') ? path : `/api${path}` });
      return {};
    }
    default:
      for (const l of helpText(cli)) out(l);
      return {};
  }
}

/** What people do when support asks "send us the output": select the terminal and paste it into the ticket. */
function pasteToSupport(host: Host, args: string[], out: (text: string, style?: string) => void): ShellOutcome {
  const lines = args.length ? Number(args[0]) : SUPPORT_PASTE_LINES;
  if (!Number.isInteger(lines) || lines < 1 || lines > 1000) {
    out('usage: support-ticket [lines]   (1 to 1000 lines of this terminal; default 40)', 'error');
    return {};
  }
  host.pasteScrollbackToSupport(lines);
  out(`Pasted the last ${lines} terminal lines into a support ticket; the support team can read it now.`);
  return {};
}

/** How much of the terminal a support paste takes when no count is given (a screenful). */
export const SUPPORT_PASTE_LINES = 40;

/** The directories the CLI can create, so `ls` shows them even when they are empty. */
const knownDirs = (host: Host): string[] => [host.paths.configDir, host.paths.cacheDir, '/var/crash'];

function listFiles(host: Host, args: string[], out: (text: string, style?: string) => void): ShellOutcome {
  const known = knownDirs(host);
  const dir = (args.find((a) => !a.startsWith('-')) ?? '~').replace(/\/+$/, '');
  const files = [...host.files.values()].filter((f) => f.path.startsWith(`${dir}/`));
  if (!files.length && !known.some((d) => d === dir || d.startsWith(`${dir}/`))) {
    out(`ls: cannot access '${dir}': No such file or directory`, 'error');
    return {};
  }
  out(`total ${files.length}`);
  for (const f of files) {
    const name = f.path.slice(dir.length + 1);
    out(`${modeString(f.mode)} 1 ${f.owner.padEnd(6)} ${f.owner.padEnd(6)} ${String(f.content.length).padStart(6)} ${name}`);
  }
  for (const d of known.filter((k) => k.startsWith(`${dir}/`) && !files.some((f) => f.path.startsWith(`${k}/`)))) {
    out(`drwx------ 2 ${host.user.padEnd(6)} ${host.user.padEnd(6)}   4096 ${d.slice(dir.length + 1)}`);
  }
  return {};
}

function catFiles(host: Host, args: string[], out: (text: string, style?: string) => void): ShellOutcome {
  if (!args.length) {
    out('cat: missing file operand', 'error');
    return {};
  }
  for (const path of args) {
    const f = host.files.get(path);
    if (!f) out(`cat: ${path}: No such file or directory`, 'error');
    else for (const l of f.content.replace(/\n$/, '').split('\n')) out(l);
  }
  return {};
}
