/**
 * The RCS simulator's credential: one API key that the broker must send in `X-Api-Key`. The key
 * lives in a file that both the simulator and the broker's adapter read, so it never appears in an
 * environment listing or a command line.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const API_KEY_HEADER = 'x-api-key';
/** Where a development key is generated when RCS_API_KEY_FILE is not set (relative to the working directory). */
export const DEV_API_KEY_FILE = '.data/rcs-api-key';
const MIN_KEY_LENGTH = 16;

export interface LoadedApiKey {
  key: string;
  file: string;
  /** True when this start created the file. */
  generated: boolean;
}

function readKey(file: string): string {
  const key = readFileSync(file, 'utf8').trim();
  if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
    throw new RangeError(
      `${file} must hold one API key of at least ${MIN_KEY_LENGTH} characters, without spaces`,
    );
  }
  return key;
}

/**
 * Reads the key from `RCS_API_KEY_FILE`; when that is unset, from `.data/rcs-api-key`, generating
 * that file (mode 0600) at first start.
 */
export function loadApiKey(env: NodeJS.ProcessEnv, devFile = DEV_API_KEY_FILE): LoadedApiKey {
  const configured = env.RCS_API_KEY_FILE;
  if (configured !== undefined && configured.trim() !== '') {
    return { key: readKey(configured), file: configured, generated: false };
  }
  const file = devFile;
  if (existsSync(file)) return { key: readKey(file), file, generated: false };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64url');
  // 'wx': if another process created it meanwhile, fail rather than overwrite the key it uses.
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, file, generated: true };
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Compares in constant time, whatever the lengths (both sides are hashed to 32 bytes first). */
export function apiKeyMatches(expected: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(expected), digest(presented));
}
