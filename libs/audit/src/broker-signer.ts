import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';

/** Where development mode keeps the broker's generated signing key (gitignored, mode 0600). */
export const DEV_SIGNING_KEY_FILE = path.resolve(process.cwd(), '.data', 'broker-signing-key.json');

/** Reads a private JWK file, or (development only) generates it at first start. */
export async function loadOrCreateSigningKey(
  file: string | undefined,
  mode: BrokerConfig['mode'],
): Promise<JWK> {
  const target = file ?? DEV_SIGNING_KEY_FILE;
  if (existsSync(target)) return JSON.parse(await readFile(target, 'utf8')) as JWK;
  // production never generates its own key: operators provision it (and publish its JWKS)
  if (mode === 'production') throw new Error(`broker signing key ${target} not found`);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = {
    ...(await exportJWK(privateKey)),
    alg: 'ES256',
    use: 'sig',
    kid: `broker-dev-${Date.now().toString(36)}`,
  };
  await mkdir(path.dirname(target), { recursive: true });
  try {
    // exclusive: of two processes starting together (gateway and worker), one key wins, both use it
    await writeFile(target, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return JSON.parse(await readFile(target, 'utf8')) as JWK;
  }
  return jwk;
}

/**
 * The broker's own key: signs checkpoints of the chain head and export manifests, and is
 * published (public half only) at /.well-known/jwks.json for auditors' verifiers.
 */
@Injectable()
export class BrokerSigner implements OnModuleInit {
  private privateJwk!: JWK;
  private key!: Awaited<ReturnType<typeof importJWK>>;

  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  async onModuleInit(): Promise<void> {
    this.privateJwk = await loadOrCreateSigningKey(this.config.signingKeyFile, this.config.mode);
    if (!this.privateJwk.kid) throw new Error('the broker signing key needs a kid');
    this.key = await importJWK(this.privateJwk, this.alg);
    new Logger('BrokerSigner').log(`signing key ${this.privateJwk.kid} (${this.alg})`);
  }

  private get alg(): 'ES256' | 'EdDSA' {
    return this.privateJwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  }

  /** Signs `payload` as a compact JWS with the given JOSE typ. */
  async sign(payload: object, typ: string): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: this.alg, typ, kid: this.privateJwk.kid })
      .sign(this.key);
  }

  get kid(): string {
    return this.privateJwk.kid as string;
  }

  /** Secret material for keys derived from the broker key (e.g. download-link HMACs); never published. */
  secretMaterial(): Buffer {
    return Buffer.from(String(this.privateJwk.d), 'base64url');
  }

  /** The public JWKS (no private parts). */
  jwks(): { keys: JWK[] } {
    const { d: _d, ...pub } = this.privateJwk;
    return { keys: [{ ...pub, alg: this.alg, use: 'sig' }] };
  }
}
