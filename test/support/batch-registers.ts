import {
  createAffiliationRegister,
  type AffiliationRegister,
} from '../../apps/ccss-simulator/src/affiliations';
import type { Population } from '../../apps/rnpp-simulator/src/population';
import { createRoleRegister, type RoleRegister } from '../../apps/rcs-simulator/src/business-roles';
import { startCcssSimulator, startRcsSimulator, type TestCcss, type TestRcs } from './simulators';

/** The CCSS and RCS simulators over the RNPP simulator's population, and the gateway settings that reach them. */
export interface TestRegisters {
  ccss: TestCcss & {
    register: AffiliationRegister;
    /** Register calls answered so far (SOAP, not /health nor /_sim). */
    calls(): number;
    /**
     * The draws of the next failureRate checks, in order (0 fails, 1 passes whatever the rate
     * below 1); once used up, draws are random again. Makes "some persons fail" repeatable.
     */
    scriptDraws(draws: number[]): void;
    /** From now on the register does not know this person (a SOAP fault UNKNOWN_MATRICULE). */
    forget(matricule: string): void;
  };
  rcs: TestRcs & { register: RoleRegister; calls(): number };
  /** CCSS_URL, RCS_URL and RCS_API_KEY_FILE, for startTestBroker's `env`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the CCSS (scriptable failures, forgettable persons) and RCS simulators, in this process. */
export async function startRegisters(population: Population): Promise<TestRegisters> {
  const draws: number[] = [];
  const forgotten = new Set<string>();
  const ccssRegister = createAffiliationRegister(population);
  const [ccss, rcs] = await Promise.all([
    startCcssSimulator({
      register: {
        size: ccssRegister.size,
        affiliationsOf: (m) => (forgotten.has(m) ? undefined : ccssRegister.affiliationsOf(m)),
      },
      random: () => draws.shift() ?? Math.random(),
    }),
    startRcsSimulator({ register: createRoleRegister(population) }),
  ]);
  return {
    ccss: {
      ...ccss,
      register: ccssRegister,
      calls: ccss.requests,
      scriptDraws: (d) => void draws.splice(0, draws.length, ...d),
      forget: (m) => void forgotten.add(m),
    },
    rcs: { ...rcs, calls: rcs.requests },
    env: { CCSS_URL: ccss.url, RCS_URL: rcs.url, RCS_API_KEY_FILE: rcs.apiKeyFile },
    close: async () => void (await Promise.all([ccss.close(), rcs.close()])),
  };
}
