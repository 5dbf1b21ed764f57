/**
 * oidc-provider (a devDependency, used only by src/flow/interop.oidc-provider.test.ts) ships no type
 * declarations. This is the small part of its API that test uses, typed loosely on purpose: the configuration
 * object is checked by oidc-provider itself at construction time.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderConfiguration {
    [key: string]: unknown;
  }

  /** A Koa application (oidc-provider's `Provider extends Koa`). */
  export class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration);
    readonly issuer: string;
    /** Koa's request handler, for `http.createServer`. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  /** OAuth error classes; thrown from configuration hooks, they become the matching error response. */
  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
