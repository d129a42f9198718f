/**
 * The witness's Ed25519 key: a PKCS#8 PEM file (mode 0600) that is its alone. In development it is
 * generated at first start; in production a missing key stops the witness, because a new key
 * would be a new witness that no log or citizen trusts.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LoadedWitnessKey {
  key: KeyObject;
  file: string;
  /** True when this call created the file. */
  generated: boolean;
}

/** Reads the key file, generating it first when it is missing and `generate` is on (development). */
export function loadWitnessKey(file: string, generate: boolean): LoadedWitnessKey {
  if (!existsSync(file)) {
    if (!generate) {
      throw new Error(
        `witness key ${file} not found: provision it (PKCS#8 PEM, Ed25519) or set WITNESS_KEY_FILE; keys are generated only in development mode`,
      );
    }
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    // 'wx': if another process created it meanwhile, fail rather than replace the key it signs with
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return { key: privateKey, file, generated: true };
  }
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`witness key ${file} is not an Ed25519 private key`);
  return { key, file, generated: false };
}
