/**
 * `npm run bench:citizen`: the citizen page over a large access log (issue 13).
 *
 * A migrated database holding BENCH_CITIZEN_ROWS entries (default 10,000,000) spread over
 * BENCH_CITIZEN_MONTHS monthly partitions (default 24), of which BENCH_CITIZEN_OWN (default 1,000)
 * are about one citizen, evenly over the whole time span; the other entries are about 400,000 other
 * citizens. It is filled once, as the server's superuser, with generate_series in SQL, and kept as a
 * template database (broker_bench_citizen_tpl_<rows>_v<FILL_VERSION>); each run copies it
 * (CREATE DATABASE … TEMPLATE, STRATEGY FILE_COPY) and starts the real gateway on the copy, which
 * applies any newer migration at boot (development mode). BENCH_CITIZEN_REFILL=1 rebuilds the template.
 *
 * The entries are synthetic: their hash chain is NOT valid (prev_hash/hash are placeholders; this
 * is a read benchmark, `access-log verify` would refuse the log) and their salts are not random. The
 * Merkle tree is filled too (every node of every level, placeholder hashes, so not a valid tree of
 * the entries) with its head at the log's size: the gateway's integrator has nothing to do during
 * the measurements, and `proof` can be timed apart (its proofs are well formed but do not verify).
 * The load keeps the real indexes: they are read from the catalogue, dropped for the load and
 * created again from their own definitions; INSERT does not fire the append-only triggers (they
 * refuse UPDATE, DELETE and TRUNCATE), so they stay enabled. VACUUM (ANALYZE) at the end.
 *
 * Measured, BENCH_CITIZEN_REQUESTS (default 200) sequential requests each, after 20 warm-up ones:
 * - `myAccessLog(first: 20)` through the gateway (signed in with an ID token of the trust file's
 *   identity provider, as a Bearer), the first page and a later one (a cursor 500 entries in);
 * - the same two pages as the repository's two SQL statements (page and count, in parallel) through
 *   pg straight to PostgreSQL: the baseline;
 * - the proofs of the first page (`myAccessLog { edges { node { proof } } }`), apart;
 * - the page's first render in headless Chromium (CHROMIUM_PATH or /usr/bin/chromium): navigation
 *   start to the log table showing 20 rows, signed in by the session cookie (as after the national
 *   sign-in), a new browser context (cold cache) per run, median of BENCH_CITIZEN_RENDERS (default 9).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { chromium } from 'playwright-core';
import { request } from 'undici';
import { loadOrCreateSigningKey } from '@broker/audit';
import { openDatabase } from '@broker/database';
import { makeMatricule } from '@broker/matricule';
import { GRANTED_PURPOSE, makeTrustFixture, mintCitizenToken, testServerUrl } from '@broker/testing';
import { frontierNodes, frontierOf, frontierRoot } from '@broker/transparency';
import { freePort, machine, median, percentile, saveResult, start, stop, waitFor } from './support';

const ROWS = Number(process.env.BENCH_CITIZEN_ROWS ?? 10_000_000);
const MONTHS = Number(process.env.BENCH_CITIZEN_MONTHS ?? 24);
const OWN = Number(process.env.BENCH_CITIZEN_OWN ?? 1000);
const REQUESTS = Number(process.env.BENCH_CITIZEN_REQUESTS ?? 200);
const RENDERS = Number(process.env.BENCH_CITIZEN_RENDERS ?? 9);
const WARMUP = 20;
const PAGE = 20;
/** Entries skipped before the "later page". */
const LATER = 500;
/** Changes when the fill changes: a new template. */
const FILL_VERSION = 1;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The citizen of the benchmark (a valid matricule; the others are 1000000xxxxxx, never valid, never it). */
const CITIZEN = makeMatricule('19850314', 123);
const MEMBERS = ['lu.ccss', 'lu.cnap', 'lu.adem', 'lu.fnr', 'lu.snca'];
/** The first day of the first month (UTC). */
const START = Date.UTC(2024, 0, 1);

function databaseUrl(name: string): string {
  const u = new URL(testServerUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

async function withClient<T>(db: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: databaseUrl(db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Fills `name` (already migrated) with the synthetic log and tree. */
async function fill(name: string): Promise<void> {
  await withClient(name, async (c) => {
    const step = async (what: string, sql: string, params: unknown[] = []): Promise<void> => {
      const t0 = performance.now();
      await c.query(sql, params);
      console.log(`  ${what}: ${seconds(t0)}`);
    };
    await c.query(`SET maintenance_work_mem = '512MB'`);
    await c.query(`SET synchronous_commit = off`);
    for (let m = 0; m < MONTHS; m++) {
      const day = new Date(Date.UTC(2024, m, 1)).toISOString().slice(0, 10);
      await c.query('SELECT access_log_ensure_month($1::date)', [day]);
    }
    // the real secondary indexes, as the migrations made them: dropped for the load, made again
    const { rows: indexes } = await c.query<{ indexname: string; indexdef: string }>(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = 'access_log'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)`,
    );
    for (const i of indexes) await c.query(`DROP INDEX ${i.indexname}`);
    const spanMs = MONTHS * 30 * 86_400_000;
    const every = Math.floor(ROWS / OWN);
    const chunk = 1_000_000;
    for (let from = 1; from <= ROWS; from += chunk) {
      const to = Math.min(ROWS, from + chunk - 1);
      await step(
        `entries ${from.toLocaleString('en')}-${to.toLocaleString('en')}`,
        `INSERT INTO access_log (seq, occurred_at, channel, member_id, purpose, consent_issuer, consent_jti,
            subject, items_requested, items_disclosed, outcome, reason_code, source, correlation_id, job_id,
            prev_hash, hash, item_sources, items_failed, salt)
         SELECT s,
                to_timestamp($3::double precision / 1000 + (s - 1) * ($4::double precision / 1000 / $5)),
                CASE WHEN s % 50 = 0 THEN 'async' ELSE 'sync' END,
                ($6::text[])[1 + s % 5],
                $7,
                'lu.guichet',
                md5(s::text)::uuid::text,
                CASE WHEN s % $8 = 0 THEN $9 ELSE '1000000' || lpad((s % 400000)::text, 6, '0') END,
                '{surname,givenNames,birth}',
                CASE WHEN s % 17 = 0 THEN '{}'::text[] ELSE '{surname,givenNames,birth}' END,
                CASE WHEN s % 17 = 0 THEN 'REFUSED' ELSE 'DISCLOSED' END,
                CASE WHEN s % 17 = 0 THEN 'SCOPE_NOT_GRANTED' END,
                CASE WHEN s % 17 = 0 THEN NULL ELSE 'rnpp' END,
                md5('c' || s)::uuid::text,
                NULL,
                lpad(to_hex(s - 1), 64, '0'),
                lpad(to_hex(s), 64, '0'),
                '{surname:rnpp,givenNames:rnpp,birth:rnpp}',
                NULL,
                md5('salt' || s)
           FROM generate_series($1::bigint, $2::bigint) AS s`,
        [from, to, START, spanMs, ROWS, MEMBERS, GRANTED_PURPOSE, every, CITIZEN],
      );
    }
    // the catalogue gives a partitioned index as `ON ONLY access_log` (the parent alone): made on
    // the parent, PostgreSQL makes it on every partition as the migrations did
    for (const i of indexes) await step(`index ${i.indexname}`, i.indexdef.replace(' ON ONLY ', ' ON '));
    await c.query(
      `UPDATE access_log_head SET seq = $1, hash = lpad(to_hex($1::bigint), 64, '0'), updated_at = now()`,
      [ROWS],
    );
    // the tree: every node of every level (placeholders), and the head at the log's size
    for (let level = 0; 2 ** level <= ROWS; level++) {
      const count = Math.floor(ROWS / 2 ** level);
      await step(
        `tree level ${level} (${count.toLocaleString('en')} nodes)`,
        `INSERT INTO log_tree_node (level, idx, hash)
         SELECT $1, i, sha256(int8send(i) || int2send($1::smallint)) FROM generate_series(0, $2::bigint - 1) AS i`,
        [level, count],
      );
    }
    const ids = frontierNodes(ROWS);
    const { rows: nodes } = await c.query<{ level: number; idx: string; hash: Buffer }>(
      `SELECT n.level, n.idx, n.hash FROM log_tree_node n
         JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) USING (level, idx)`,
      [ids.map((i) => i.level), ids.map((i) => String(i.index))],
    );
    const byId = new Map(nodes.map((n) => [`${n.level}/${n.idx}`, n.hash]));
    const root = frontierRoot(
      frontierOf(
        ROWS,
        ids.map((i) => byId.get(`${i.level}/${i.index}`)!),
      ),
    );
    await c.query(`UPDATE log_tree_head SET size = $1, root = $2, updated_at = now() WHERE id = 1`, [
      ROWS,
      root,
    ]);
    await step('VACUUM (ANALYZE)', 'VACUUM (ANALYZE)');
  });
}

/** The template database, filled once (or again with BENCH_CITIZEN_REFILL=1). */
async function template(): Promise<string> {
  const name = `broker_bench_citizen_tpl_${ROWS}_v${FILL_VERSION}`;
  const ready = await withClient('postgres', async (c) => {
    const { rows } = await c.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [name],
    );
    if (rows.length && rows[0].comment === 'complete' && process.env.BENCH_CITIZEN_REFILL !== '1')
      return true;
    await c.query(`DROP DATABASE IF EXISTS "${name}"`);
    await c.query(`CREATE DATABASE "${name}"`);
    return false;
  });
  if (ready) {
    console.log(`template ${name}: kept from an earlier run`);
    return name;
  }
  console.log(`template ${name}: filling ${ROWS.toLocaleString('en')} entries (once)`);
  const t0 = performance.now();
  const ds = await openDatabase(databaseUrl(name), { migrate: true, poolSize: 1 });
  await ds.destroy();
  await fill(name);
  await withClient('postgres', (c) => c.query(`COMMENT ON DATABASE "${name}" IS 'complete'`));
  console.log(`template filled in ${seconds(t0)}`);
  return name;
}

interface Figures {
  p50: number;
  p95: number;
  max: number;
}
const figures = (xs: number[]): Figures => ({
  p50: median(xs),
  p95: percentile(xs, 95),
  max: Math.max(...xs),
});

async function timeIt(fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

const PAGE_QUERY = `query Log($first: Int, $after: String) {
  myAccessLog(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id occurredAt channel member { id name } purpose { code labels { en fr de lb } }
      itemsRequested itemsDisclosed outcome reasonCode consentJti consentIssuer jobId reported } }
  }
}`;
const PROOF_QUERY = `query Proofs($first: Int, $after: String) {
  myAccessLog(first: $first, after: $after) { edges { node { id proof } } }
}`;

interface LogAnswer {
  data?: {
    myAccessLog: {
      totalCount: number;
      pageInfo: { endCursor: string | null };
      edges: { cursor: string; node: { id: string; proof?: string | null } }[];
    };
  };
  errors?: unknown[];
}

async function ask(url: string, token: string, query: string, after: string | null): Promise<LogAnswer> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables: { first: PAGE, after } }),
  });
  const body = (await res.body.json()) as LogAnswer;
  if (res.statusCode !== 200 || body.errors || !body.data)
    throw new Error(`myAccessLog failed: ${res.statusCode} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

/** The repository's two statements (libs/citizen/src/citizen-access-log.repository.ts), straight through pg. */
async function rawPage(pool: [Client, Client], before: string | null): Promise<void> {
  const params: unknown[] = [CITIZEN];
  let where = 'l.subject = $1';
  if (before !== null) {
    params.push(before);
    where += ` AND l.seq < $2::bigint`;
  }
  params.push(PAGE + 1);
  await Promise.all([
    pool[0].query(
      `SELECT l.seq, l.occurred_at, l.channel, l.member_id, l.purpose, l.consent_issuer, l.consent_jti,
              l.items_requested, l.items_disclosed, l.outcome, l.reason_code, l.item_sources,
              l.items_failed, l.source, l.job_id,
              EXISTS (SELECT 1 FROM access_report r WHERE r.subject = $1 AND r.entry_seq = l.seq) AS reported
       FROM access_log l WHERE ${where} ORDER BY l.seq DESC LIMIT $${params.length}`,
      params,
    ),
    pool[1].query(`SELECT count(*) AS n FROM access_log l WHERE l.subject = $1`, [CITIZEN]),
  ]);
}

// what runs in the page: the project is type-checked without lib.dom
declare const document: {
  querySelectorAll(selector: string): ArrayLike<{ getClientRects(): ArrayLike<unknown> }>;
};

/** Navigation start to the log table showing PAGE rows, in ms, in a new context (cold cache) per run. */
/** Milestones of one first render, ms from navigation start (the page's Resource Timing). */
interface Milestones {
  /** The HTML received. */
  html: number;
  /** The modules loaded and run (DOMContentLoaded). */
  modules: number;
  /** GET /me/session answered (the session picked up from the cookie). */
  session: number;
  /** The last GraphQL answer before the rows showed (the log page, the registers' names). */
  graphql: number;
}

async function renders(
  baseUrl: string,
  token: string,
): Promise<{ times: number[]; milestones: Milestones[]; ua: string }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  const times: number[] = [];
  const milestones: Milestones[] = [];
  let ua = '';
  try {
    ua = browser.version();
    for (let i = 0; i < RENDERS + 1; i++) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        locale: 'en-GB',
        viewport: { width: 1280, height: 900 },
      });
      await context.addCookies([{ name: 'broker_citizen', value: token, url: `${baseUrl}/me` }]);
      const page = await context.newPage();
      await page.goto('/me', { waitUntil: 'commit' });
      const handle = await page.waitForFunction(
        (n) => {
          const rows = document.querySelectorAll('table.log-table tbody tr');
          if (rows.length !== n || rows[n - 1].getClientRects().length === 0) return false;
          return (globalThis as unknown as { performance: { now(): number } }).performance.now();
        },
        PAGE,
        { polling: 'raf', timeout: 30_000 },
      );
      const ms = (await handle.jsonValue()) as number;
      const m = await page.evaluate((shown) => {
        type Entry = { name: string; responseEnd: number; domContentLoadedEventEnd?: number };
        const perf = (globalThis as unknown as { performance: { getEntriesByType(t: string): Entry[] } })
          .performance;
        const nav = perf.getEntriesByType('navigation')[0];
        const done = perf.getEntriesByType('resource').filter((e) => e.responseEnd <= shown);
        const last = (part: string): number =>
          Math.max(0, ...done.filter((e) => e.name.includes(part)).map((e) => e.responseEnd));
        return {
          html: nav.responseEnd,
          modules: nav.domContentLoadedEventEnd ?? 0,
          session: last('/me/session'),
          graphql: last('/graphql'),
        };
      }, ms);
      // the first run starts Chromium's own caches (the GPU process, fonts): not counted
      if (i > 0) {
        times.push(ms);
        milestones.push(m);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { times, milestones, ua };
}

async function main(): Promise<void> {
  const tpl = await template();
  const run = `broker_bench_citizen_${process.pid}`;
  let t0 = performance.now();
  await withClient('postgres', (c) =>
    c.query(`CREATE DATABASE "${run}" TEMPLATE "${tpl}" STRATEGY FILE_COPY`),
  );
  console.log(`database ${run} copied from the template in ${seconds(t0)}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-citizen-'));
  const trust = await makeTrustFixture(dir);
  const keyFile = path.join(dir, 'signing-key.json');
  await loadOrCreateSigningKey(keyFile, 'development');
  // a key no register knows (the RCS is not reached: it answers nowhere)
  const rcsKeyFile = path.join(dir, 'rcs-api-key');
  writeFileSync(rcsKeyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  t0 = performance.now();
  const gateway = start('apps/gateway/src/main.js', {
    GATEWAY_PORT: port,
    BROKER_MODE: 'development',
    METRICS_PORT: '0',
    DATABASE_URL: databaseUrl(run),
    BROKER_TRUST_FILE: trust.file,
    BROKER_SIGNING_KEY_FILE: keyFile,
    BROKER_NOTE_KEY_FILE: path.join(dir, 'note-key.pem'),
    BROKER_DEV_IDP_KEY_FILE: path.join(dir, 'dev-idp-key.json'),
    EXPORT_DIR: path.join(dir, 'exports'),
    RNPP_URL: 'http://127.0.0.1:9',
    CCSS_URL: 'http://127.0.0.1:9',
    RCS_URL: 'http://127.0.0.1:9',
    RCS_API_KEY_FILE: rcsKeyFile,
    LOG_LEVEL: 'error',
  });
  const pool: [Client, Client] = [
    new Client({ connectionString: databaseUrl(run) }),
    new Client({ connectionString: databaseUrl(run) }),
  ];
  try {
    await waitFor(`${baseUrl}/health/live`);
    console.log(`gateway up (migrations applied) in ${seconds(t0)}`);
    await Promise.all(pool.map((c) => c.connect()));
    const token = await mintCitizenToken(trust.idp.key, trust.idp.issuer, trust.brokerId, CITIZEN, {
      lifetimeS: 3600,
    });
    const gql = `${baseUrl}/graphql`;

    // the cursor of the later page, and a check of what the log holds
    const first = await ask(gql, token, PAGE_QUERY, null);
    if (first.data!.myAccessLog.totalCount !== OWN)
      throw new Error(`the citizen has ${first.data!.myAccessLog.totalCount} entries, not ${OWN}`);
    let after: string | null = null;
    for (let skipped = 0; skipped < LATER; skipped += 100) {
      const res: Awaited<ReturnType<typeof request>> = await request(gql, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'query($a: String) { myAccessLog(first: 100, after: $a) { pageInfo { endCursor } } }',
          variables: { a: after },
        }),
      });
      after = ((await res.body.json()) as { data: { myAccessLog: { pageInfo: { endCursor: string } } } }).data
        .myAccessLog.pageInfo.endCursor;
    }
    const laterAnswer = await ask(gql, token, PAGE_QUERY, after);
    const laterBefore = String(BigInt(laterAnswer.data!.myAccessLog.edges[0].node.id) + 1n);
    const { rows: size } = await pool[0].query<{ n: string }>('SELECT max(seq) AS n FROM access_log');
    console.log(
      `log of ${Number(size[0].n).toLocaleString('en')} entries, ${OWN} about the citizen; ${REQUESTS} requests each after ${WARMUP} warm-up ones; ${machine()}`,
    );

    const results: [string, Figures][] = [];
    const measure = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      const f = figures(
        await timeIt(async () => {
          await fn();
        }),
      );
      results.push([name, f]);
      console.log(`  ${name}: p50 ${f.p50.toFixed(2)} ms, p95 ${f.p95.toFixed(2)} ms`);
    };
    await measure('SQL baseline (pg, page + count), first page', () => rawPage(pool, null));
    await measure('SQL baseline (pg, page + count), page after 500', () => rawPage(pool, laterBefore));
    await measure('gateway myAccessLog(first: 20), first page', () => ask(gql, token, PAGE_QUERY, null));
    await measure('gateway myAccessLog(first: 20), page after 500', () => ask(gql, token, PAGE_QUERY, after));
    await measure('gateway proofs of the first page (20 tlog-proofs)', () =>
      ask(gql, token, PROOF_QUERY, null),
    );

    const render = await renders(baseUrl, token);
    const r = {
      median: median(render.times),
      max: Math.max(...render.times),
      min: Math.min(...render.times),
    };
    console.log('');
    console.log('| figure | p50 | p95 |');
    console.log('| --- | ---: | ---: |');
    for (const [name, f] of results)
      console.log(`| ${name} | ${f.p50.toFixed(2)} ms | ${f.p95.toFixed(2)} ms |`);
    console.log('');
    console.log(
      `first render in Chromium ${render.ua} (navigation start → 20 rows shown, new context per run, ${render.times.length} runs): median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})`,
    );
    const mid = (k: keyof Milestones): string => median(render.milestones.map((x) => x[k])).toFixed(0);
    console.log(
      `  medians from navigation start: HTML received ${mid('html')} ms, modules run (DOMContentLoaded) ${mid('modules')} ms, /me/session answered ${mid('session')} ms, last GraphQL answer ${mid('graphql')} ms, 20 rows shown ${r.median.toFixed(0)} ms`,
    );
    saveResult('citizen', {
      rows: Number(size[0].n),
      own: OWN,
      months: MONTHS,
      requests: REQUESTS,
      machine: machine(),
      userAgent: render.ua,
      results: Object.fromEntries(results),
      firstRender: { ...r, runs: render.times, milestones: render.milestones },
    });
  } finally {
    await Promise.all(pool.map((c) => c.end().catch(() => undefined)));
    await stop(gateway);
    await withClient('postgres', async (c) => {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [run]);
      await c.query(`DROP DATABASE IF EXISTS "${run}"`);
    });
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
