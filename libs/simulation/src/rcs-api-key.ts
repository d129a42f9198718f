/**
 * The RCS simulator's credential: one API key that the broker must send in `X-Api-Key`. The key
 * lives in a file that the simulator, the broker's adapter and `npm start` (which creates it before
 * starting either) all read, so it never appears in an environment listing or a command line.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where a development key is generated when RCS_API_KEY_FILE is not set (relative to the working directory). */
export const DEV_RCS_API_KEY_FILE = '.data/rcs-api-key';
const MIN_KEY_LENGTH = 16;

export interface LoadedApiKey {
  key: string;
  file: string;
  /** True when this call created the file. */
  generated: boolean;
}

export interface RcsApiKeyOptions {
  /** The file used when RCS_API_KEY_FILE is unset (default `.data/rcs-api-key`). */
  devFile?: string;
  /** Generate that file when missing (default true); false where operators provision the key (production). */
  generate?: boolean;
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
 * Reads the RCS API key from `RCS_API_KEY_FILE`; when that is unset, from `.data/rcs-api-key`,
 * generating that file (mode 0600) at first use unless `generate` is false.
 */
export function loadRcsApiKey(env: NodeJS.ProcessEnv, options: RcsApiKeyOptions = {}): LoadedApiKey {
  const { devFile = DEV_RCS_API_KEY_FILE, generate = true } = options;
  const configured = env.RCS_API_KEY_FILE;
  if (configured !== undefined && configured.trim() !== '') {
    return { key: readKey(configured), file: configured, generated: false };
  }
  const file = devFile;
  if (existsSync(file)) return { key: readKey(file), file, generated: false };
  if (!generate)
    throw new Error(`RCS API key ${file} not found (set RCS_API_KEY_FILE to the provisioned key)`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64url');
  // 'wx': if another process created it meanwhile, fail rather than overwrite the key it uses.
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, file, generated: true };
}
