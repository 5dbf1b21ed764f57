/**
 * The simulated identity provider as one fetch-style handler: the authorization server plus the protected
 * APIs it mints tokens for. A request whose URL lies under a resource's base URL goes to that API; everything
 * else goes to the authorization server. The page uses it with separate origins (idp.acme.test,
 * api.acme.test); `npm run idp` with one loopback origin (`/api/...` beside `/token`).
 */
import { createAuthorizationServer, type AuthorizationServer, type AuthorizationServerOptions, type RequestMeta } from './authServer/index.ts';
import { defaultRegistry, SIM_RESOURCE_URLS, type RegistryNames, type ResourceUrls } from './registry.ts';
import { createResourceServer, type ResourceServer } from './resourceServer.ts';

export const SIM_ISSUER = 'https://idp.acme.test';

export interface SimIdp {
  as: AuthorizationServer;
  apis: ResourceServer[];
  handle(request: Request, meta?: RequestMeta): Promise<Response>;
}

export interface SimIdpOptions extends Omit<AuthorizationServerOptions, 'issuer'> {
  issuer?: string;
  /** Base URLs of the default resources (ignored when `registry` is given). */
  resources?: ResourceUrls;
  /** The organisation and CLI the default registry is named after (ignored when `registry` is given). */
  names?: RegistryNames;
}

export async function createSimIdp(opts: SimIdpOptions): Promise<SimIdp> {
  const issuer = opts.issuer ?? SIM_ISSUER;
  const registry = opts.registry ?? defaultRegistry(opts.resources ?? SIM_RESOURCE_URLS, opts.names);
  const as = await createAuthorizationServer({ ...opts, issuer, registry });
  const apis = registry.resources.map((r) => createResourceServer(as, r));
  return {
    as,
    apis,
    handle(request, meta) {
      const api = apis.find((a) => request.url === a.resource.id || request.url.startsWith(`${a.resource.id}/`));
      return api ? api.handle(request) : as.handle(request, meta);
    },
  };
}

/** Resource URLs for a single loopback origin: `${issuer}/api` and `${issuer}/billing`. */
export function loopbackResources(issuer: string): ResourceUrls {
  const base = issuer.replace(/\/+$/, '');
  return { api: `${base}/api`, billing: `${base}/billing` };
}
