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
export { logCompletedRequests, readLogFormat, simulatorLogger } from './request-log';
export { pick, type Random, seededRandom } from './seeded-random';
export { DEV_RCS_API_KEY_FILE, type LoadedApiKey, loadRcsApiKey, type RcsApiKeyOptions } from './rcs-api-key';
