/**
 * The test knobs every register simulator offers at `GET/PUT /_sim/knobs`: `latencyMs` and one or
 * more rates in 0..1 (`failureRate` everywhere; a simulator may add its own, as CCSS adds
 * `malformedRate`). Same names, ranges and refusals in every simulator.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';

export const MAX_LATENCY_MS = 60_000;

export interface InvalidParam {
  name: string;
  reason: string;
}

/** `latencyMs` plus the simulator's rates, each a probability in 0..1. */
export type Knobs<Rate extends string> = { latencyMs: number } & Record<Rate, number>;

/** Checks a (partial) knobs object as `PUT /_sim/knobs` receives it. */
export function validateKnobs<Rate extends string>(
  body: unknown,
  rates: readonly Rate[],
): { knobs: Partial<Knobs<Rate>> } | { invalid: InvalidParam[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const names = ['latencyMs', ...rates].map((name) => `"${name}"?`).join(', ');
    return { invalid: [{ name: 'body', reason: `must be a JSON object { ${names} }` }] };
  }
  const invalid: InvalidParam[] = [];
  const knobs: Record<string, number> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === 'latencyMs') {
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_LATENCY_MS) {
        knobs.latencyMs = value;
      } else invalid.push({ name, reason: `must be a number in 0..${MAX_LATENCY_MS}` });
    } else if ((rates as readonly string[]).includes(name)) {
      if (typeof value === 'number' && value >= 0 && value <= 1) knobs[name] = value;
      else invalid.push({ name, reason: 'must be a number in 0..1' });
    } else invalid.push({ name, reason: 'unknown knob' });
  }
  return invalid.length > 0 ? { invalid } : { knobs: knobs as Partial<Knobs<Rate>> };
}

/** The initial knobs (0 where not given), refusing out-of-range values at boot rather than at the first request. */
export function initialKnobs<Rate extends string>(
  given: Partial<Knobs<Rate>>,
  rates: readonly Rate[],
): Knobs<Rate> {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const result = validateKnobs(defined, rates);
  if ('invalid' in result) {
    throw new RangeError(result.invalid.map((p) => `${p.name} ${p.reason}`).join('; '));
  }
  const knobs = { latencyMs: 0, ...Object.fromEntries(rates.map((rate) => [rate, 0])) } as Knobs<Rate>;
  return Object.assign(knobs, result.knobs);
}

/**
 * Adds `GET /_sim/knobs` (the current knobs) and `PUT /_sim/knobs` (a partial update, all or
 * nothing) on `knobs`, which the simulator reads at each request; `refuse` answers invalid knobs in
 * the simulator's own error format.
 */
export function addKnobRoutes<Rate extends string>(
  app: FastifyInstance,
  knobs: Knobs<Rate>,
  rates: readonly Rate[],
  refuse: (reply: FastifyReply, invalid: InvalidParam[]) => FastifyReply,
): void {
  app.get('/_sim/knobs', async () => ({ ...knobs }));
  app.put('/_sim/knobs', async (request, reply) => {
    const result = validateKnobs(request.body, rates);
    if ('invalid' in result) return refuse(reply, result.invalid);
    Object.assign(knobs, result.knobs);
    return { ...knobs };
  });
}

/** Waits the `latencyMs` knob, if any. */
export async function simulateLatency(knobs: { latencyMs: number }): Promise<void> {
  if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
}

/** True with probability `rate`; draws nothing from `random` when the rate is 0, so a zero knob leaves the stream untouched. */
export function drawn(rate: number, random: () => number): boolean {
  return rate > 0 && random() < rate;
}
