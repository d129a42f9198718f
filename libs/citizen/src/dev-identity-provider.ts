import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { algorithmsForJwk, type IdentityProvider } from '@broker/trust';

/** Issuer of the demo identity provider: never trusted in production mode. */
export const DEV_IDP_ISSUER = 'urn:once-only:demo-identity-provider';
export const DEV_IDP_NAME = 'Demo identity provider (development mode only, not for production)';
/** Lifetime of the ID tokens the demo sign-in mints. */
export const DEV_ID_TOKEN_LIFETIME_S = 1800;

/** The demo identity provider's private key file (public half in the demo trust file). */
export interface DevIdpKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * Loads the demo identity provider's key, generating it at first start. Several processes may
 * start at once: the key is written to a temporary file and hard-linked into place, so that
 * exactly one key wins and every process reads that one.
 */
export async function loadOrCreateDevIdpKey(file: string): Promise<DevIdpKey> {
  if (!existsSync(file)) {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `demo-idp-${Date.now().toString(36)}`;
    const key: DevIdpKey = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    };
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(key, null, 2), { mode: 0o600 });
    try {
      await link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
  return JSON.parse(await readFile(file, 'utf8')) as DevIdpKey;
}

/**
 * The demo sign-in's identity provider: in development mode only, the gateway trusts it (beside
 * the trust file's providers) and mints ID tokens with it for synthetic citizens. In production
 * mode it does not exist: no key is read, no token is minted or accepted.
 */
@Injectable()
export class DevIdentityProvider implements OnModuleInit {
  private key?: DevIdpKey;
  private idp?: IdentityProvider;

  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  /** True in development mode. */
  get enabled(): boolean {
    return this.config.mode !== 'production';
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    this.key = await loadOrCreateDevIdpKey(path.resolve(process.cwd(), this.config.devIdpKeyFile));
    const algorithms = algorithmsForJwk(this.key.publicJwk);
    this.idp = {
      issuer: DEV_IDP_ISSUER,
      name: DEV_IDP_NAME,
      keys: new Map([
        [
          this.key.kid,
          {
            kid: this.key.kid,
            algorithms,
            key: await importJWK({ ...this.key.publicJwk, ext: true }, 'ES256'),
          },
        ],
      ]),
    };
    new Logger('DevIdentityProvider').warn(
      `demo sign-in on: ID tokens of ${DEV_IDP_ISSUER} are accepted (development mode only)`,
    );
  }

  /** The provider, in development mode only. */
  provider(): IdentityProvider | undefined {
    return this.enabled ? this.idp : undefined;
  }

  /** Mints an ID token for `subject` (development mode only). */
  async mint(subject: string, audience: string): Promise<{ token: string; expiresAt: number }> {
    if (!this.enabled || !this.key) throw new Error('the demo identity provider is off in production mode');
    const iat = Math.floor(Date.now() / 1000);
    const expiresAt = iat + Math.min(DEV_ID_TOKEN_LIFETIME_S, this.config.maxCitizenTokenLifetimeS);
    const token = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.key.kid })
      .setIssuer(DEV_IDP_ISSUER)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(expiresAt)
      .sign(await importJWK(this.key.privateJwk, 'ES256'));
    return { token, expiresAt };
  }
}
