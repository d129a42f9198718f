import { Logger } from '@nestjs/common';
import {
  RegisterCallPolicy,
  RegisterFailure,
  readCapped,
  type RegisterCallOptions,
  type RegisterProblem,
} from '../register-call-policy';
import type { SourceAdapter } from '../source-adapter';
import type { Affiliation } from './affiliation';
import { readCcssAnswer, type CcssFaultCode } from './ccss-answer';
import { getAffiliationsRequest, SOAP_ACTION } from './ccss-envelope';

/** Options of the CCSS adapter: the register's base URL (`CCSS_URL`) and the shared resilience settings. */
export type CcssSourceOptions = RegisterCallOptions;

export const CCSS_PATH = '/ccss';

/**
 * How each coded fault is handled. UNKNOWN_MATRICULE is not turned into an empty list (that would
 * state "no affiliation" in the register's name, which a benefits office acts on) nor into
 * PERSON_NOT_FOUND (the RNPP is the authority on who exists, and its PERSON_NOT_FOUND refuses the
 * whole request; a secondary register must not do so for its field alone). It fails this source's
 * field as SOURCE_UNAVAILABLE with problem `unknown-person`, without retry and without counting
 * against the circuit: asking again gives the same answer, and a run of unknown persons must not
 * cut the register off for everyone. Faults about our own request (INVALID_MATRICULE: the gateway
 * checked it already; MALFORMED_REQUEST, UNKNOWN_OPERATION: a contract mismatch) are not retried
 * either. Only the register's own trouble is transient.
 */
const FAULTS: Record<CcssFaultCode, [problem: RegisterProblem, transient: boolean]> = {
  UNKNOWN_MATRICULE: ['unknown-person', false],
  INVALID_MATRICULE: ['refused', false],
  MALFORMED_REQUEST: ['refused', false],
  UNKNOWN_OPERATION: ['refused', false],
  SERVICE_UNAVAILABLE: ['unavailable', true],
  INTERNAL_ERROR: ['unavailable', true],
  OTHER: ['unavailable', true],
};

/**
 * The CCSS adapter: a person's social-security affiliations over SOAP 1.1
 * (contracts/ccss-affiliations.wsdl), with the shared register call policy. Every failure is
 * BrokerError(SOURCE_UNAVAILABLE, { source: 'ccss', problem }); an empty list is an answer.
 */
export class CcssSoapSource implements SourceAdapter {
  readonly name = 'ccss';
  private readonly logger = new Logger('CcssSource');
  private readonly register: RegisterCallPolicy;

  constructor(opts: CcssSourceOptions) {
    this.register = new RegisterCallPolicy(this.name, opts, this.logger);
  }

  /** The catalogue's one register field, `affiliations`. */
  async fetch(matricule: string): Promise<Record<string, unknown>> {
    return { affiliations: await this.fetchAffiliations(matricule) };
  }

  /** The person's affiliations, oldest first (possibly none). */
  async fetchAffiliations(matricule: string): Promise<Affiliation[]> {
    const request = getAffiliationsRequest(matricule);
    return this.register.call(async (pool, signal) => {
      const res = await pool.request({
        path: CCSS_PATH,
        method: 'POST',
        signal,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${SOAP_ACTION}"` },
        body: request,
      });
      // SOAP 1.1 answers a fault with 500; any other status is not the register speaking.
      if (res.statusCode !== 200 && res.statusCode !== 500) {
        await res.body.dump();
        const transient = res.statusCode >= 500 || res.statusCode === 429;
        throw new RegisterFailure(transient ? 'unavailable' : 'http-status', transient);
      }
      const answer = readCcssAnswer(await readCapped(res.body), matricule);
      switch (answer.kind) {
        case 'affiliations':
          if (res.statusCode === 200) return answer.affiliations;
          throw new RegisterFailure('shape', false);
        case 'fault':
          throw new RegisterFailure(...FAULTS[answer.code]);
        case 'malformed':
          // A cut 200 is what a dropped connection or a broken proxy gives: worth another try.
          // A 500 that is not XML is an error page in front of the register.
          throw new RegisterFailure(res.statusCode === 200 ? 'malformed' : 'unavailable', true);
        case 'shape':
          this.logger.warn(`answer of the wrong shape at ${answer.where}`);
          throw new RegisterFailure('shape', false);
      }
    });
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
