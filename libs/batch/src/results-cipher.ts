import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Version byte of the sealed format, so that a key or format change can be told apart. */
const FORMAT_V1 = 1;

/** Where development keeps its generated results key (gitignored, like the dev signing key). */
export const DEV_RESULTS_KEY_FILE = path.resolve(process.cwd(), '.data', 'batch-results.key');

/**
 * AES-256-GCM for batch results at rest. A sealed value is `v1 | iv(12) | tag(16) | ciphertext`;
 * the additional data binds it to its job and item, so a ciphertext copied onto another row
 * does not decrypt.
 */
export class ResultsCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the batch results key must be 32 bytes (AES-256)');
  }

  seal(plaintext: Buffer, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from([FORMAT_V1]), iv, c.getAuthTag(), body]);
  }

  /** Throws when the value was altered, moved to another row, or sealed with another key. */
  open(sealed: Buffer, aad: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1)
      throw new Error('not a sealed batch result');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const d = createDecipheriv('aes-256-gcm', this.key, iv);
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), d.final()]);
  }
}

/** The additional data of one item's result. */
export function resultAad(jobId: string, index: number): string {
  return `batch-result:v1:${jobId}:${index}`;
}

/**
 * Reads the key file (base64 of 32 bytes). In development, a missing file is created with a
 * fresh random key (several processes in one checkout agree on it: the first one writes it,
 * exclusively); production never generates it.
 */
export async function loadOrCreateResultsKey(
  file: string | undefined,
  mode: 'development' | 'production',
): Promise<Buffer> {
  const target = file ?? DEV_RESULTS_KEY_FILE;
  if (!existsSync(target)) {
    if (mode === 'production') throw new Error(`BATCH_RESULTS_KEY_FILE ${target} does not exist`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      },
    );
  }
  const key = Buffer.from((await readFile(target, 'utf8')).trim(), 'base64');
  if (key.length !== 32) throw new Error(`${target} must hold the base64 of 32 random bytes`);
  return key;
}
