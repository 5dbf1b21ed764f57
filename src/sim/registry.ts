/**
 * Who exists in the simulated world: registered clients, people who can sign in at the identity provider,
 * and the protected resources tokens are minted for. Plain data with defaults; a world or `npm run idp`
 * can replace any of it (embedders bring their own names).
 */
import { AUTHORIZATION_CODE_GRANT_TYPE, DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, type GrantType } from '../protocol/constants.ts';

export interface ClientRegistration {
  clientId: string;
  name: string;
  /** `none` for public clients (RFC 8628 §5.6: device clients cannot keep secrets). */
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post';
  clientSecret?: string;
  grantTypes: GrantType[];
  /** RFC 9449 §5.2 client metadata. */
  dpopBoundAccessTokens?: boolean;
  /** May call the introspection endpoint (resource servers). */
  mayIntrospect?: boolean;
}

export interface SimUser {
  id: string;
  name: string;
  email: string;
  /** Where this person's browser signs in from (shown in audit events). */
  location: string;
  ip: string;
  userAgent: string;
  /** Groups the person belongs to (the `deviceFlowUsers` policy allows the `engineering` group). */
  groups?: string[];
}

export interface ResourceRegistration {
  /** The `aud` value and the API's base URL. */
  id: string;
  name: string;
  scopes: Record<string, string>;
}

export interface Registry {
  clients: ClientRegistration[];
  users: SimUser[];
  resources: ResourceRegistration[];
}

/** The client id a CLI called `cli` is registered under: each team registers its own CLI (`gh`, `az`...). */
export const cliClientId = (cli: string): string => `${cli}-cli`;

export const DEFAULT_CLIENT_ID = cliClientId('acme');

export interface RegistryNames {
  /** The organisation, e.g. "Acme". */
  org: string;
  /** The CLI's command name, e.g. "acme". */
  cli: string;
}

/** Where the default resources live: each id is the API's base URL and its `aud` (RFC 9068 §5: distinct). */
export interface ResourceUrls {
  api: string;
  billing: string;
}

export const SIM_RESOURCE_URLS: ResourceUrls = { api: 'https://api.acme.test/api', billing: 'https://billing.acme.test/api' };

export const DEFAULT_REGISTRY_NAMES: RegistryNames = { org: 'Acme', cli: 'acme' };

/** The default world: the organisation's CLI, a CI runner, a web app, the API, and three people (hosts stay `*.acme.test`). */
export function defaultRegistry(urls: ResourceUrls = SIM_RESOURCE_URLS, names: RegistryNames = DEFAULT_REGISTRY_NAMES): Registry {
  const { org, cli } = names;
  return {
    clients: [
      { clientId: cliClientId(cli), name: `${org} CLI`, tokenEndpointAuthMethod: 'none', grantTypes: [DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE] },
      { clientId: `${cli}-ci`, name: `${org} CI runner`, tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: 'ci-runner-secret-not-for-devices',
        grantTypes: [DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE] },
      { clientId: `${cli}-web`, name: `${org} web console`, tokenEndpointAuthMethod: 'none', grantTypes: [AUTHORIZATION_CODE_GRANT_TYPE] },
      { clientId: `${cli}-api`, name: `${org} API`, tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: 'api-introspection-secret',
        grantTypes: [], mayIntrospect: true },
    ],
    users: [
      { id: 'alice', name: 'Alice Nguyen', email: 'alice@acme.test', location: 'Lisbon, PT', ip: '198.51.100.23',
        userAgent: 'Mozilla/5.0 (Macintosh) Firefox/142.0', groups: ['engineering'] },
      { id: 'bob', name: 'Bob Okafor', email: 'bob@acme.test', location: 'Lisbon, PT', ip: '198.51.100.24',
        userAgent: 'Mozilla/5.0 (X11; Linux) Chrome/150.0', groups: ['engineering'] },
      // A contractor's account in the engineering group (the insider of the session-spying and guessing labs).
      { id: 'mallory', name: 'Mallory Vance', email: 'mallory@evil.test', location: 'unknown (VPN exit)', ip: '203.0.113.66',
        userAgent: 'Mozilla/5.0 (Windows NT 10.0) Edge/150.0', groups: ['engineering'] },
      // Finance: never uses the CLI, so the device-flow policy leaves her out.
      { id: 'carol', name: 'Carol Diaz', email: 'carol@acme.test', location: 'Lisbon, PT', ip: '198.51.100.25',
        userAgent: 'Mozilla/5.0 (Windows NT 10.0) Edge/150.0', groups: ['finance'] },
    ],
    resources: [
      { id: urls.api, name: `${org} API`, scopes: {
        profile: 'See your name and e-mail address',
        'projects:read': 'Read your projects',
        'projects:write': 'Create and change projects',
        'projects:admin': 'Delete projects and manage members',
      } },
      { id: urls.billing, name: `${org} Billing`, scopes: { 'billing:read': 'Read invoices' } },
    ],
  };
}
