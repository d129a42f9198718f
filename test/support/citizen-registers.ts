import {
  createAffiliationRegister,
  type AffiliationRegister,
} from '../../apps/ccss-simulator/src/affiliations';
import type { Population } from '../../apps/rnpp-simulator/src/population';
import { createRoleRegister, type RoleRegister } from '../../apps/rcs-simulator/src/business-roles';
import { startCcssSimulator, startRcsSimulator, type TestCcss, type TestRcs } from './simulators';

/** The CCSS and RCS simulators over the RNPP simulator's population, and the gateway settings that reach them. */
export interface CitizenRegisters {
  ccss: TestCcss & { register: AffiliationRegister };
  rcs: TestRcs & { register: RoleRegister };
  /** CCSS_URL, RCS_URL and RCS_API_KEY_FILE, for startTestBroker's `env`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the CCSS (SOAP) and RCS (REST, API key in a file of its own) simulators in this process,
 * on free ports, holding the same persons as the RNPP simulator's `population`.
 */
export async function startCitizenRegisters(population: Population): Promise<CitizenRegisters> {
  const [ccss, rcs] = await Promise.all([
    startCcssSimulator({ register: createAffiliationRegister(population) }),
    startRcsSimulator({ register: createRoleRegister(population) }),
  ]);
  return {
    ccss,
    rcs,
    env: { CCSS_URL: ccss.url, RCS_URL: rcs.url, RCS_API_KEY_FILE: rcs.apiKeyFile },
    close: async () => void (await Promise.all([ccss.close(), rcs.close()])),
  };
}
