/**
 * `npm run bench:sources`: one `person` query across the three registers (surname, affiliations,
 * businessRoles: items name at the RNPP, affiliation at the CCSS, businessRoles at the RCS) through
 * the gateway, beside each register read directly, in the same run, on the same simulators. The
 * direct reads go from this process through the gateway's own adapter classes (RnppAdapter over
 * RnppHttpSource, CcssSoapSource, RcsHttpSource) with the register fields the catalogue plans for
 * those items, so each is the very request the gateway makes (RNPP `GET /persons/{m}?fields=…`,
 * CCSS SOAP `POST /ccss`, RCS `GET /persons/{m}/roles` with `X-Api-Key`) and the same parse, without
 * the gateway. Three settings of the simulators' `latencyMs` knob:
 *   - CCSS 50 ms, RNPP and RCS 0 (the figure the issue asks for);
 *   - all three 0: what the gateway adds of its own (auth, consent, decision, log append);
 *   - all three 50 ms: where reading in sequence and reading in parallel differ by 100 ms.
 * Each target is loaded by BENCH_CLIENTS closed-loop clients (1 and 8: each sends its next request
 * when the last is answered), BENCH_REQUESTS requests a target per round after a warm-up, over
 * BENCH_ROUNDS rounds in alternating order; the figures are the medians over the rounds of each
 * round's p50 and p95. Results: stdout (markdown for docs/benchmarks.md) and
 * bench/results/sources.json.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import type { DataItem } from '@broker/data-items';
import {
  CcssSoapSource,
  RcsHttpSource,
  RnppAdapter,
  RnppHttpSource,
  SOURCE_REGISTRY,
  type SourceAdapter,
} from '@broker/sources';
import { createTestDatabase, makeTrustFixture } from '@broker/testing';
import {
  askPerson,
  freePort,
  gatewayEnv,
  grantMemberOne,
  listPersons,
  machine,
  median,
  memberOneAssertion,
  memberOneConsent,
  percentile,
  saveResult,
  start,
  stop,
  waitFor,
} from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 120);
const WARMUP = 20;
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,8').split(',').map(Number);
const SUBJECTS = 20;
const ITEMS: DataItem[] = ['name', 'affiliation', 'businessRoles'];
const QUERY =
  'query Q($m: ID!) { person(matricule: $m) { surname affiliations { status employerName employerNumber startDate endDate } businessRoles { rcsNumber companyName role since } } }';
const SOURCES = ['rnpp', 'ccss', 'rcs'] as const;
type Source = (typeof SOURCES)[number];
const TITLE: Record<Source, string> = { rnpp: 'RNPP', ccss: 'CCSS', rcs: 'RCS' };

/** The simulators' `latencyMs` knob, per setting. */
const SETTINGS: { label: string; latencyMs: Record<Source, number> }[] = [
  { label: 'CCSS 50 ms, RNPP and RCS 0', latencyMs: { rnpp: 0, ccss: 50, rcs: 0 } },
  { label: 'all three 0', latencyMs: { rnpp: 0, ccss: 0, rcs: 0 } },
  { label: 'all three 50 ms', latencyMs: { rnpp: 50, ccss: 50, rcs: 50 } },
];

type Target = Source | 'gateway';

/** One target's answer times in one round (ms) and the calls that failed. */
interface Sample {
  p50: number;
  p95: number;
  errors: number;
}

/**
 * `clients` clients, each sending its next call as soon as the last one is answered, until
 * `total` calls were made; the duration of each call that succeeded (ms) and the failures.
 */
async function closedLoop(
  clients: number,
  total: number,
  call: (i: number) => Promise<void>,
): Promise<{ ms: number[]; errors: number }> {
  const ms: number[] = [];
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        try {
          await call(i);
          ms.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { ms, errors };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-sources-'));
  const trust = await makeTrustFixture(dir);
  grantMemberOne(trust, ITEMS);
  const apiKeyFile = path.join(dir, 'rcs-api-key');
  writeFileSync(apiKeyFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
  const db = await createTestDatabase('broker_bench_sources');
  const port: Record<Source | 'gateway', string> = {
    rnpp: await freePort(),
    ccss: await freePort(),
    rcs: await freePort(),
    gateway: await freePort(),
  };
  const url = (s: Target) => `http://127.0.0.1:${port[s]}`;
  const children: ChildProcess[] = [];
  const opts = (s: Source) => ({ url: url(s), attemptTimeoutMs: 5000, totalTimeoutMs: 5000, maxAttempts: 1 });
  const rnppHttp = new RnppHttpSource(opts('rnpp'));
  const ccss = new CcssSoapSource(opts('ccss'));
  const rcs = new RcsHttpSource({ ...opts('rcs'), apiKeyFile });
  const adapters: Record<Source, SourceAdapter> = { rnpp: new RnppAdapter(rnppHttp), ccss, rcs };
  try {
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT: port.rnpp }));
    children.push(start('apps/ccss-simulator/src/main.js', { CCSS_PORT: port.ccss }));
    children.push(
      start('apps/rcs-simulator/src/main.js', { RCS_PORT: port.rcs, RCS_API_KEY_FILE: apiKeyFile }),
    );
    for (const s of SOURCES) await waitFor(`${url(s)}/health`);
    children.push(
      start(
        'apps/gateway/src/main.js',
        gatewayEnv(
          { trustFile: trust.file, databaseUrl: db.url, rnppPort: port.rnpp, gatewayPort: port.gateway },
          { CCSS_URL: url('ccss'), RCS_URL: url('rcs'), RCS_API_KEY_FILE: apiKeyFile },
        ),
      ),
    );
    await waitFor(`${url('gateway')}/health/ready`);

    // the same register fields the gateway asks for these items
    const fields = new Map(SOURCE_REGISTRY.plan(ITEMS).map((p) => [p.source, p.registerFields]));
    const direct = (s: Source, m: string) => adapters[s].fetch(m, fields.get(s) ?? []);
    // persons with at least one affiliation and one business role: every register answers something
    const subjects: string[] = [];
    for (const m of await listPersons(port.rnpp, 1000)) {
      if (subjects.length === SUBJECTS) break;
      const [a, b] = await Promise.all([direct('ccss', m), direct('rcs', m)]);
      if ((a.affiliations as unknown[]).length && (b.businessRoles as unknown[]).length) subjects.push(m);
    }
    if (subjects.length < SUBJECTS) throw new Error(`only ${subjects.length} persons with roles found`);
    const consents = await Promise.all(
      subjects.map((m) => memberOneConsent(trust, m, ITEMS, { lifetimeS: 3600 })),
    );

    let assertion = '';
    const viaGateway = async (i: number): Promise<void> => {
      const k = i % subjects.length;
      const { statusCode, text } = await askPerson(`${url('gateway')}/graphql`, {
        assertion,
        consent: consents[k],
        query: QUERY,
        matricule: subjects[k],
      });
      // an answer without every source's fields, or with an error, is not the path measured
      if (statusCode !== 200 || text.includes('"errors"') || !text.includes('"rcsNumber"'))
        throw new Error(text.slice(0, 300));
    };
    const call: Record<Target, (i: number) => Promise<void>> = {
      rnpp: async (i) => void (await direct('rnpp', subjects[i % subjects.length])),
      ccss: async (i) => void (await direct('ccss', subjects[i % subjects.length])),
      rcs: async (i) => void (await direct('rcs', subjects[i % subjects.length])),
      gateway: viaGateway,
    };
    const knobs = async (latencyMs: Record<Source, number>) => {
      for (const s of SOURCES) {
        const res = await request(`${url(s)}/_sim/knobs`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ latencyMs: latencyMs[s] }),
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`${s} refused its knobs (${res.statusCode})`);
      }
    };

    // a probe first, failing the run with the answer: a benchmark of refusals would measure the wrong thing
    const newMember = async () => (assertion = await memberOneAssertion(trust));
    await newMember();
    await viaGateway(0);

    /** rounds[setting][clients][round][target] */
    const samples = SETTINGS.map(() => CLIENTS.map(() => [] as Record<Target, Sample>[]));
    const order: Target[] = [...SOURCES, 'gateway'];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [si, setting] of SETTINGS.entries()) {
        // at most 300 s of life: a new one for each setting, which takes well under a minute
        await newMember();
        await knobs(setting.latencyMs);
        for (const [ci, clients] of CLIENTS.entries()) {
          const targets = round % 2 ? [...order].reverse() : order;
          const r = {} as Record<Target, Sample>;
          for (const t of targets) {
            await closedLoop(clients, WARMUP, call[t]);
            const { ms, errors } = await closedLoop(clients, REQUESTS, call[t]);
            r[t] = { p50: percentile(ms, 50), p95: percentile(ms, 95), errors };
          }
          samples[si][ci].push(r);
          process.stderr.write(
            `round ${round + 1}/${ROUNDS}, ${setting.label}, ${clients} client(s): p50 ` +
              order.map((t) => `${t} ${r[t].p50.toFixed(1)}`).join(', ') +
              ' ms\n',
          );
        }
      }
    }
    await knobs({ rnpp: 0, ccss: 0, rcs: 0 });

    const rows = SETTINGS.flatMap((setting, si) =>
      CLIENTS.map((clients, ci) => {
        const rs = samples[si][ci];
        const med = (f: (r: Record<Target, Sample>) => number) => median(rs.map(f));
        const p50 = (s: Source) => (r: Record<Target, Sample>) => r[s].p50;
        return {
          setting: setting.label,
          latencyMs: setting.latencyMs,
          clients,
          direct: Object.fromEntries(SOURCES.map((s) => [s, med(p50(s))])) as Record<Source, number>,
          // per round, then the median: the sum and the max of the same round's reads
          sum: med((r) => SOURCES.reduce((a, s) => a + r[s].p50, 0)),
          max: med((r) => Math.max(...SOURCES.map((s) => r[s].p50))),
          gatewayP50: med((r) => r.gateway.p50),
          gatewayP95: med((r) => r.gateway.p95),
          errors: rs.reduce((a, r) => a + order.reduce((b, t) => b + r[t].errors, 0), 0),
        };
      }),
    );
    saveResult('sources', {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { rounds: ROUNDS, requests: REQUESTS, warmup: WARMUP, clients: CLIENTS, subjects: SUBJECTS },
      rows,
      rounds: samples,
    });
    const f = (n: number) => n.toFixed(1);
    const own = (clients: number) => {
      const z = rows.find((r) => r.clients === clients && r.setting === SETTINGS[1].label)!;
      return z.gatewayP50 - z.max;
    };
    process.stdout.write(
      [
        `| latencyMs knobs | clients | ${SOURCES.map((s) => `${TITLE[s]} direct p50`).join(' | ')} | sum | max | gateway p50 | gateway p95 | gateway p50 − max | errors |`,
        `|---|---|${SOURCES.map(() => '---|').join('')}---|---|---|---|---|---|`,
        ...rows.map(
          (r) =>
            `| ${r.setting} | ${r.clients} | ${SOURCES.map((s) => f(r.direct[s])).join(' | ')} | ${f(r.sum)} | ${f(r.max)} | ${f(r.gatewayP50)} | ${f(r.gatewayP95)} | ${f(r.gatewayP50 - r.max)} | ${r.errors} |`,
        ),
        '',
        `All times in ms; medians over ${ROUNDS} rounds of each round's p50 (p95), ${REQUESTS} requests per target, clients and round.`,
        `The gateway's own work (all three 0, gateway p50 − max): ${CLIENTS.map((c) => `${f(own(c))} ms with ${c} client(s)`).join(', ')}.`,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all([rnppHttp.close(), ccss.close(), rcs.close()]);
    await Promise.all(children.map(stop));
    await db.drop().catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
