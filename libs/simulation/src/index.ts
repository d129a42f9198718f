export { type BaseConfig, decimal, integer, type RawBaseConfig, readBaseConfig } from './command-line';
export {
  addKnobRoutes,
  drawn,
  initialKnobs,
  type InvalidParam,
  type Knobs,
  MAX_LATENCY_MS,
  simulateLatency,
  validateKnobs,
} from './knobs';
export { logCompletedRequests, simulatorLogger } from './request-log';
export { pick, type Random, seededRandom } from './seeded-random';
