/**
 * The test knobs of the CCSS simulator: the RNPP simulator's two (`latencyMs`, `failureRate`), with
 * the same names and ranges, plus `malformedRate` so that an adapter's malformed-XML path can be
 * exercised against the real process.
 */
export interface SimulatorKnobs {
  /** Delay added before answering a SOAP request, in milliseconds. */
  latencyMs: number;
  /** Probability in 0..1 that a SOAP request is answered with a Server fault (HTTP 500). */
  failureRate: number;
  /** Probability in 0..1 that a SOAP request is answered with truncated XML (HTTP 200). */
  malformedRate: number;
}

export interface InvalidParam {
  name: string;
  reason: string;
}

export const MAX_LATENCY_MS = 60_000;
const RATES: ReadonlySet<string> = new Set(['failureRate', 'malformedRate']);

/** Checks a (partial) knobs object as `PUT /_sim/knobs` receives it. */
export function validateKnobs(
  body: unknown,
): { knobs: Partial<SimulatorKnobs> } | { invalid: InvalidParam[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      invalid: [
        { name: 'body', reason: 'must be a JSON object { "latencyMs"?, "failureRate"?, "malformedRate"? }' },
      ],
    };
  }
  const invalid: InvalidParam[] = [];
  const knobs: Partial<SimulatorKnobs> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'latencyMs') {
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_LATENCY_MS) {
        knobs.latencyMs = value;
      } else invalid.push({ name, reason: `must be a number in 0..${MAX_LATENCY_MS}` });
    } else if (RATES.has(name)) {
      if (typeof value === 'number' && value >= 0 && value <= 1) knobs[name as 'failureRate'] = value;
      else invalid.push({ name, reason: 'must be a number in 0..1' });
    } else invalid.push({ name, reason: 'unknown knob' });
  }
  return invalid.length > 0 ? { invalid } : { knobs };
}

/** The initial knobs, refusing out-of-range values at boot rather than at the first request. */
export function initialKnobs(given: Partial<SimulatorKnobs>): SimulatorKnobs {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const result = validateKnobs(defined);
  if ('invalid' in result)
    throw new RangeError(result.invalid.map((p) => `${p.name} ${p.reason}`).join('; '));
  return { latencyMs: 0, failureRate: 0, malformedRate: 0, ...result.knobs };
}
