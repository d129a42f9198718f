/**
 * The witness's configuration, read from the environment once at boot and validated as a whole
 * (one error listing every problem). Production is the default, as for the broker: only
 * BROKER_MODE=development generates a key at first start and trusts log keys on first use.
 */
import { join } from 'node:path';
import { logFormatOf, modeOf } from '@broker/config';
import { ED25519_NOTE_TYPE, isKeyName, NoteFormatError, parseVkey, type Vkey } from '@broker/transparency';

export const DEFAULT_WITNESS_PORT = 4200;
export const DEFAULT_WITNESS_DATA_DIR = '.data/witness';
export const DEFAULT_WITNESS_NAME = 'witness.dev.broker.local';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface WitnessConfig {
  mode: 'development' | 'production';
  host: string;
  port: number;
  /** Its key (unless WITNESS_KEY_FILE says otherwise) and its state: nobody else's storage. */
  dataDir: string;
  keyFile: string;
  /** The witness's key name, in its vkey and cosignature lines. */
  name: string;
  /** The logs it witnesses (signed-note Ed25519 vkeys; the origin is the key's name). */
  logs: Vkey[];
  /** Development without WITNESS_LOGS: pin the first key seen for an origin. */
  trustOnFirstUse: boolean;
  logLevel: string;
  /** LOG_FORMAT: json lines (the production default) or pino-pretty (the development default). */
  logFormat: 'json' | 'pretty';
}

/** The configuration is invalid; the message lists every problem, one per line. */
export class WitnessConfigError extends Error {
  override readonly name = 'WitnessConfigError';
}

/** Reads WITNESS_* and BROKER_MODE; throws WitnessConfigError listing every problem. */
export function readWitnessConfig(env: NodeJS.ProcessEnv): WitnessConfig {
  const problems: string[] = [];
  const mode = modeOf(env);
  if (mode === undefined)
    problems.push(`BROKER_MODE must be development or production, got "${env.BROKER_MODE}"`);
  const portRaw = env.WITNESS_PORT || String(DEFAULT_WITNESS_PORT);
  const port = Number(portRaw);
  if (!/^\d+$/.test(portRaw) || port > 65535)
    problems.push(`WITNESS_PORT must be a port (0..65535), got "${portRaw}"`);
  const name = env.WITNESS_NAME || DEFAULT_WITNESS_NAME;
  if (!isKeyName(name)) problems.push(`WITNESS_NAME must be a key name without spaces or '+', got "${name}"`);
  const logLevel = env.WITNESS_LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`WITNESS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = logFormatOf(env);
  if (logFormat.problem) problems.push(logFormat.problem);
  const logs = parseLogVkeys(env.WITNESS_LOGS ?? '', problems);
  const configured = (env.WITNESS_LOGS ?? '').trim() !== '';
  if (mode === 'production' && !configured) {
    problems.push('WITNESS_LOGS is required in production mode (trust on first use is for development only)');
  }
  if (problems.length > 0) throw new WitnessConfigError(problems.join('\n'));
  const dataDir = env.WITNESS_DATA_DIR || DEFAULT_WITNESS_DATA_DIR;
  return {
    mode: mode ?? 'production',
    host: env.WITNESS_HOST || '127.0.0.1',
    port,
    dataDir,
    keyFile: env.WITNESS_KEY_FILE || join(dataDir, 'witness-key.pem'),
    name,
    logs,
    trustOnFirstUse: mode === 'development' && !configured,
    logLevel,
    logFormat: logFormat.format,
  };
}

function parseLogVkeys(raw: string, problems: string[]): Vkey[] {
  const vkeys: Vkey[] = [];
  for (const text of raw.split(',').map((s) => s.trim())) {
    if (text === '') continue;
    try {
      const vkey = parseVkey(text);
      if (vkey.type !== ED25519_NOTE_TYPE)
        throw new NoteFormatError(`${vkey.name} is not a log key (type 0x01)`);
      vkeys.push(vkey);
    } catch (error) {
      if (!(error instanceof NoteFormatError)) throw error;
      problems.push(`WITNESS_LOGS: ${error.message}`);
    }
  }
  return vkeys;
}
