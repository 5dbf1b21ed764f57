/**
 * The CI platform's OIDC issuer (as GitHub Actions' `token.actions.githubusercontent.com`): it mints each job a
 * short-lived ID token naming the workflow (`sub`), for the audience the job asks for, signed with the
 * platform's own key. A job gets one only when its host allows it (`HostOptions.ciIdToken`, GitHub's
 * `permissions: id-token: write`). The identity provider trusts this issuer only when told to (the server's
 * `workloadIdentityFederation` knob, with `trust` as its federation configuration).
 */
import { SignJWT, generateKeyPair, type CryptoKey } from 'jose';
import { randomSecret } from '../protocol/random.ts';
import type { WorldClock } from '../sim/clock.ts';
import type { WorkloadIssuerTrust } from '../sim/authServer/index.ts';

export const CI_ISSUER = 'https://ci.acme.test';
/** How long a job's ID token is valid, seconds (GitHub Actions' are valid for minutes, not days). */
export const CI_ID_TOKEN_LIFETIME_S = 300;

export interface CiPlatform {
  readonly issuer: string;
  /** The workload the deploy job runs as (GitHub's `repo:<owner>/<repo>:environment:<name>` form). */
  readonly subject: string;
  /** What an identity provider federating with this platform is configured with. */
  readonly trust: WorkloadIssuerTrust;
  /** Mint the job's ID token for `audience`. */
  mintIdToken(audience: string): Promise<string>;
  /** How many ID tokens were minted. */
  readonly minted: number;
}

/** One signing key per JavaScript realm (key generation is the slow part; every world may share it). */
let keyPair: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> | undefined;

/** Start making the platform's key now, if this realm has none yet (see `warmSigningKey`). */
export function warmCiKey(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  if (!keyPair) {
    keyPair = generateKeyPair('ES256');
    keyPair.catch(() => (keyPair = undefined)); // a failed generation is tried again by the next world
  }
  return keyPair;
}

export async function createCiPlatform(clock: WorldClock, opts: { audience: string; org?: string }): Promise<CiPlatform> {
  const { privateKey, publicKey } = await warmCiKey();
  const subject = `repo:${(opts.org ?? 'acme').toLowerCase().replace(/[^a-z0-9-]+/g, '-')}/deploy:environment:production`;
  let minted = 0;
  return {
    issuer: CI_ISSUER,
    subject,
    trust: { issuer: CI_ISSUER, audience: opts.audience, alg: 'ES256', publicKey },
    get minted() {
      return minted;
    },
    async mintIdToken(audience) {
      minted++;
      const iat = Math.floor(clock.now() / 1000);
      return new SignJWT({ repository: subject.split(':')[1], job_workflow_ref: `${subject.split(':')[1]}/.github/workflows/deploy.yml@refs/heads/main` })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'ci-1' })
        .setIssuer(CI_ISSUER).setSubject(subject).setAudience(audience)
        .setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + CI_ID_TOKEN_LIFETIME_S).setJti(randomSecret(16))
        .sign(privateKey);
    },
  };
}
