import { Inject, Injectable, Logger } from '@nestjs/common';
import { request } from 'undici';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { checkMatricule } from '@broker/matricule';
import { PERSON_SOURCE, type PersonSource } from '@broker/sources';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { DevIdentityProvider } from './dev-identity-provider';

/** A synthetic citizen offered by the demo sign-in. */
export interface DemoCitizen {
  matricule: string;
  name: string;
}

const HOW_MANY = 6;
const SCAN = 40;

/**
 * The demo sign-in (development mode only): a few synthetic citizens of the RNPP simulator to
 * pick from, and an ID token of the demo identity provider for the one picked. In production
 * mode every method answers NOT_FOUND, as if the routes did not exist.
 */
@Injectable()
export class DemoCitizensService {
  private readonly logger = new Logger('DemoSignIn');
  private cached?: DemoCitizen[];

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(DevIdentityProvider) private readonly dev: DevIdentityProvider,
    @Inject(PERSON_SOURCE) private readonly source: PersonSource,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
  ) {}

  /** Living synthetic citizens with their names (the simulator's population is deterministic). */
  async list(): Promise<DemoCitizen[]> {
    this.assertOn();
    if (this.cached) return this.cached;
    const res = await request(`${this.config.rnppUrl}/persons?offset=0&limit=${SCAN}`, {
      signal: AbortSignal.timeout(this.config.rnppTotalTimeoutMs),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not list its persons.');
    }
    const body = (await res.body.json()) as { items?: unknown };
    const matricules = (Array.isArray(body.items) ? body.items : []).filter(
      (m): m is string => checkMatricule(m).valid,
    );
    const out: DemoCitizen[] = [];
    for (const m of matricules) {
      if (out.length >= HOW_MANY) break;
      // synthetic persons of the simulator, read to label the picker: not an access to a real citizen
      const p = await this.source.fetchPerson(m, ['surname', 'givenNames', 'deathDate']);
      if (p.deathDate) continue;
      out.push({ matricule: m, name: [...(p.givenNames ?? []), p.surname ?? ''].join(' ').trim() });
    }
    this.cached = out;
    return out;
  }

  /** An ID token of the demo identity provider for `matricule` (development mode only). */
  async signIn(matricule: unknown): Promise<{ token: string; expiresAt: number }> {
    this.assertOn();
    const checked = checkMatricule(matricule);
    if (!checked.valid)
      throw new BrokerError(ErrorCode.INVALID_MATRICULE, 'The matricule is not valid.', {
        problem: checked.problem,
      });
    this.logger.log('demo sign-in');
    return this.dev.mint(checked.matricule, this.trust.brokerId);
  }

  private assertOn(): void {
    if (!this.dev.enabled) throw new BrokerError(ErrorCode.NOT_FOUND, 'No such route.');
  }
}
