import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BrokerConfig } from '@broker/config';

/** Where development mode keeps the generated note key (gitignored, mode 0600). */
export const DEV_NOTE_KEY_FILE = path.resolve(process.cwd(), '.data', 'broker-note-key.pem');

/**
 * Reads the broker's Ed25519 note key (PKCS#8 PEM) that signs the log's checkpoints; generates it
 * at first start in development only. Production refuses a missing key: a new key would be a
 * new log that no witness or citizen trusts.
 */
export function loadOrCreateNoteKey(file: string | undefined, mode: BrokerConfig['mode']): KeyObject {
  if (!file && mode === 'production')
    throw new Error('BROKER_NOTE_KEY_FILE is required in production mode (the transparency log note key)');
  const target = file ?? DEV_NOTE_KEY_FILE;
  if (!existsSync(target)) {
    if (mode === 'production') throw new Error(`broker note key ${target} not found`);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      // exclusive: of two gateways starting together, one key wins and both use it
      writeFileSync(target, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
      return privateKey;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const key = createPrivateKey(readFileSync(target));
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`broker note key ${target} is not an Ed25519 private key`);
  return key;
}
