/**
 * Branding: the names a scenario speaks in. Teams embed the lab with their own organisation, CLI and identity
 * provider, so the learner types the command they will type at work. One value, threaded by `createWorld`:
 * the CLI machine gets the command name (hints, sub-process argv, token variable, storage locations), the host
 * its paths, the shell the command it answers to, the registry the organisation and client names. Hostnames
 * (`idp.acme.test`, `api.acme.test`) and the issuer stay fixed: they are addresses, not names, and tests and
 * token audiences depend on them.
 *
 * The lower layers take plain strings (`CliInput.cliName`, `RegistryNames`, `HostOptions.cliName`), so the
 * type lives here, in the layer that composes them.
 */
export interface Names {
  /** The organisation, in prose and client display names ("Acme CLI"). */
  org: string;
  /** The CLI's command name, as typed in the shell (`acme login`). */
  cli: string;
  /** The identity provider's display name, as its pages show it. */
  idp: string;
}

/** The names the labs are authored with. The IdP's name is what the browser frame has always shown. */
export const DEFAULT_NAMES: Readonly<Names> = Object.freeze({ org: 'Acme', cli: 'acme', idp: 'Acme identity provider' });

/**
 * A command name a shell can run and a file path can hold: lowercase, starts with a letter, at most 20
 * characters. It also becomes `<CLI>_TOKEN`, `~/.config/<cli>/` and the client id `<cli>-cli`.
 */
export const CLI_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
/** Longest organisation or identity-provider name (it has to fit a consent heading and a browser frame). */
export const MAX_DISPLAY_NAME = 40;

// Control characters (C0, DEL, C1) and line/paragraph separators would break terminal lines and headings.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function checkDisplayName(field: 'org' | 'idp', value: string): void {
  if (typeof value !== 'string' || !value.trim()) throw new Error(`names.${field}: must not be empty`);
  if (value.length > MAX_DISPLAY_NAME) throw new Error(`names.${field}: at most ${MAX_DISPLAY_NAME} characters (got ${value.length})`);
  if (CONTROL.test(value)) throw new Error(`names.${field}: must not contain control characters`);
}

/**
 * Fill in the defaults and check the result. The embed option parser validates first and shows notices;
 * this is the defensive check for every other caller, so a bad name fails loudly instead of producing a
 * shell that cannot run its own CLI.
 */
export function resolveNames(partial: Partial<Names> = {}): Names {
  const names: Names = {
    org: partial.org ?? DEFAULT_NAMES.org,
    cli: partial.cli ?? DEFAULT_NAMES.cli,
    idp: partial.idp ?? DEFAULT_NAMES.idp,
  };
  if (typeof names.cli !== 'string' || !CLI_NAME_PATTERN.test(names.cli)) {
    throw new Error(`names.cli: ${JSON.stringify(names.cli)} is not a command name (lowercase letters, digits and dashes, starting with a letter, at most 20)`);
  }
  checkDisplayName('org', names.org);
  checkDisplayName('idp', names.idp);
  return names;
}

/** What the CLI sends as its User-Agent (the version and platform are the simulated laptop's). */
export const cliUserAgent = (cli: string): string => `${cli}/2.4.1 (linux; x86_64)`;
