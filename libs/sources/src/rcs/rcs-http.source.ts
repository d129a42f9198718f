import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import {
  RegisterCallPolicy,
  RegisterFailure,
  readCapped,
  type RegisterCallOptions,
} from '../register-call-policy';
import type { SourceAdapter } from '../source-adapter';
import type { BusinessRole } from './business-role';
import { readRcsAnswer } from './rcs-answer';

/** Options of the RCS adapter: the shared resilience settings and the file holding the broker's API key. */
export interface RcsSourceOptions extends RegisterCallOptions {
  /** File holding the API key (`RCS_API_KEY_FILE`, the same file the register reads). */
  apiKeyFile: string;
}

/** Reads the key once; a missing or empty file stops the adapter's construction (so the boot) clearly. */
function readApiKey(file: string): string {
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error(`RCS API key file ${file} cannot be read (${(e as { code?: string }).code ?? 'error'})`);
  }
  if (key === '' || /\s/.test(key))
    throw new Error(`RCS API key file ${file} must hold one key, without spaces`);
  return key;
}

/**
 * The RCS adapter: the roles a person holds in companies, over REST/JSON
 * (contracts/rcs-openapi.yaml), authenticated with the broker's own API key, with the shared
 * register call policy. Every failure is BrokerError(SOURCE_UNAVAILABLE, { source: 'rcs', problem });
 * an empty list is an answer.
 *
 * 404 (no such person) is `unknown-person`, not retried and not counted against the circuit, for
 * the reasons given on the CCSS adapter's faults: an empty list would state "no role" in the
 * register's name, and PERSON_NOT_FOUND belongs to the RNPP. 401 is `credential`: not retried
 * (the same key fails again) and logged for the operator, without the key.
 */
export class RcsHttpSource implements SourceAdapter {
  readonly name = 'rcs';
  private readonly logger = new Logger('RcsSource');
  private readonly register: RegisterCallPolicy;
  private readonly apiKey: string;

  constructor(opts: RcsSourceOptions) {
    this.apiKey = readApiKey(opts.apiKeyFile);
    this.register = new RegisterCallPolicy(this.name, opts, this.logger);
  }

  /** The catalogue's one register field, `businessRoles`. */
  async fetch(matricule: string): Promise<Record<string, unknown>> {
    return { businessRoles: await this.fetchBusinessRoles(matricule) };
  }

  /** The roles the person holds, oldest first (usually none). */
  async fetchBusinessRoles(matricule: string): Promise<BusinessRole[]> {
    const path = `/persons/${encodeURIComponent(matricule)}/roles`;
    return this.register.call(async (pool, signal) => {
      const res = await pool.request({
        path,
        method: 'GET',
        signal,
        headers: { accept: 'application/json', 'x-api-key': this.apiKey },
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw this.failureOf(res.statusCode);
      }
      let body: unknown;
      try {
        body = JSON.parse(await readCapped(res.body));
      } catch (e) {
        if (e instanceof RegisterFailure) throw e;
        // A cut or garbled 200 is what a dropped connection or a broken proxy gives: try again.
        throw new RegisterFailure('malformed', true);
      }
      const roles = readRcsAnswer(body, matricule);
      if ('where' in roles) {
        this.logger.warn(`answer of the wrong shape at ${roles.where}`);
        throw new RegisterFailure('shape', false);
      }
      return roles;
    });
  }

  private failureOf(status: number): RegisterFailure {
    if (status === 401 || status === 403) {
      this.logger.warn(`the register refused the broker's API key (HTTP ${status}): check RCS_API_KEY_FILE`);
      return new RegisterFailure('credential', false);
    }
    if (status === 404) return new RegisterFailure('unknown-person', false);
    if (status >= 500 || status === 429) return new RegisterFailure('unavailable', true);
    // 400: the register refuses a matricule the gateway accepted; asking again changes nothing.
    return new RegisterFailure(status === 400 ? 'refused' : 'http-status', false);
  }

  /** True when the register answers its health probe. */
  isReady(): Promise<boolean> {
    return this.register.isReady();
  }

  /** Closes the keep-alive pool. */
  close(): Promise<void> {
    return this.register.close();
  }
}
