/**
 * Auditor exports end to end: real requests make the entries, an auditor exports them over HTTP
 * with the CLI (the built binary), and the offline verifier accepts the untouched export and
 * names the place of every single-line change or a forged manifest. The CSV is read back with an
 * independent parser (csv-parse) and compared with the NDJSON.
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { request } from 'undici';
import { Queue } from 'bullmq';
import { AUDIT_EXPORT_QUEUE, ExportFilesCleaner, exportQueuePrefix, lineFromCsv } from '@broker/audit';
import {
  GRANTED_PURPOSE,
  OTHER_PURPOSE,
  generateSigningKey,
  mintConsent,
  mintMemberAssertion,
  mintStaffToken,
  sql,
} from '@broker/testing';
import {
  gql,
  personQuery,
  runCli,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';
import { freePort, startWorker, waitFor, type TestWorker } from './support/processes';

describe('auditor exports and offline verification', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let dir: string;
  let ndjson: string;
  let lines: string[];
  let manifest: string;
  const t = () => broker.trust;
  const auditorToken = (opts: Parameters<typeof mintStaffToken>[4] = {}) =>
    mintStaffToken(t().s1.key, t().s1.id, t().brokerId, 'auditor-e2e', opts);
  const cli = (args: string[]) => runCli(args, broker.databaseUrl);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audit-e2e-'));
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
    const people = sim.population.list(0, 10);
    // 40 requests: two members, two purposes, granted and refused
    for (let i = 0; i < 40; i++) {
      const m = people[i % people.length];
      const two = i % 2 === 1;
      const member = two ? t().m2 : t().m1;
      const consent = await mintConsent(two ? t().i2.key : t().i1.key, {
        issuer: two ? t().i2.id : t().i1.id,
        subject: m,
        audience: member.id,
        purpose: two ? OTHER_PURPOSE : GRANTED_PURPOSE,
        scope: ['name'],
      });
      await gql(
        broker.graphqlUrl,
        personQuery(i % 4 < 2 ? 'surname' : 'surname birthDate'),
        { m },
        {
          authorization: `Bearer ${await mintMemberAssertion(member.key, member.id, t().brokerId)}`,
          'consent-token': consent,
          'x-correlation-id': `audit-e2e-${i}-${randomUUID()}`,
        },
      );
    }
    ndjson = path.join(dir, 'export.ndjson');
    const r = await cli([
      'audit',
      'export',
      '--url',
      broker.baseUrl,
      '--token',
      await auditorToken(),
      '--format',
      'ndjson',
      '--out',
      ndjson,
    ]);
    expect(r.code).toBe(0);
    lines = (await readFile(ndjson, 'utf8')).split('\n').filter((l) => l !== '');
    manifest = await readFile(`${ndjson}.manifest.jws`, 'utf8');
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  it('exports every entry in chain order, as the canonical form plus its hash', async () => {
    expect(lines).toHaveLength(40);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.seq)).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(Object.keys(objs[0]).sort()).toEqual(
      [
        'v',
        'seq',
        'occurredAt',
        'channel',
        'memberId',
        'purpose',
        'consentIssuer',
        'consentJti',
        'subject',
        'itemsRequested',
        'itemsDisclosed',
        // each requested item with its source, on every entry that names items since several sources
        'itemSources',
        'outcome',
        'reasonCode',
        'source',
        'correlationId',
        'jobId',
        // the entry's random salt, on every entry since the transparency log (ADR 0010)
        'salt',
        // the entry's leaf in the transparency log: seq - 1 (not hashed)
        'leafIndex',
        'prevHash',
        'hash',
      ].sort(),
    );
    const [row] = await sql<{ hash: string }>(
      broker.databaseUrl,
      'SELECT hash FROM access_log WHERE seq = 40',
    );
    expect(objs[39].hash).toBe(row.hash);
  });

  it('verifies the untouched export, with the saved keys and with --jwks URL', async () => {
    const saved = await cli(['audit', 'verify', ndjson]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/^OK: 40 entries/);
    const url = await cli(['audit', 'verify', ndjson, '--jwks', `${broker.baseUrl}/.well-known/jwks.json`]);
    expect(url.code).toBe(0);
  });

  it('logs the auditor actions themselves, with the filter used', async () => {
    const rows = await sql<{ channel: string; member_id: string; purpose: string; audit_filter: string }>(
      broker.databaseUrl,
      "SELECT channel, member_id, purpose, audit_filter FROM access_log WHERE channel = 'audit' ORDER BY seq",
    );
    expect(rows.map((r) => r.purpose)).toEqual(['AUDIT-EXPORT', 'AUDIT-MANIFEST']);
    expect(rows[0].member_id).toBe(`auditor:${t().s1.id}/auditor-e2e`);
    expect(JSON.parse(rows[0].audit_filter)).toEqual({ format: 'ndjson', headSeq: '40' });
    const verify = await runCli(['access-log', 'verify', '--json'], broker.databaseUrl);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  });

  describe('names the place of every single-line change', () => {
    const copy = async (name: string, content: string[], jws = manifest) => {
      const file = path.join(dir, name);
      await writeFile(file, content.join('\n') + '\n');
      await writeFile(`${file}.manifest.jws`, jws);
      await writeFile(`${file}.jwks.json`, await readFile(`${ndjson}.jwks.json`));
      return cli(['audit', 'verify', file]);
    };
    const mid = 20;

    it('a changed field', async () => {
      const changed = [...lines];
      changed[mid] = changed[mid].replace(/"memberId":"([^"]+)"/, (_m, id: string) => `"memberId":"${id}X"`);
      const r = await copy('field.ndjson', changed);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(new RegExp(`line ${mid + 1}\\b`));
    });

    it('a deleted line', async () => {
      const r = await copy('delete.ndjson', [...lines.slice(0, mid), ...lines.slice(mid + 1)]);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(new RegExp(`line ${mid + 1}\\b`));
    });

    it('an inserted (duplicated) line', async () => {
      const r = await copy('dup.ndjson', [...lines.slice(0, mid + 1), lines[mid], ...lines.slice(mid + 1)]);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(new RegExp(`line ${mid + 2}\\b`));
    });

    it('two lines swapped', async () => {
      const swapped = [...lines];
      [swapped[mid], swapped[mid + 1]] = [swapped[mid + 1], swapped[mid]];
      const r = await copy('swap.ndjson', swapped);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(new RegExp(`line ${mid + 1}\\b`));
    });

    it('the last line deleted', async () => {
      const r = await copy('tail.ndjson', lines.slice(0, -1));
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/line 40\b/);
    });

    it('a forged manifest (one signature byte changed, or signed by another key with the broker kid)', async () => {
      const [h, p, sig] = manifest.trim().split('.');
      const i = Math.floor(sig.length / 2);
      const flipped = `${h}.${p}.${sig.slice(0, i)}${sig[i] === 'B' ? 'C' : 'B'}${sig.slice(i + 1)}`;
      expect((await copy('sig.ndjson', lines, flipped)).code).not.toBe(0);

      const jwks = JSON.parse(await readFile(`${ndjson}.jwks.json`, 'utf8')) as { keys: { kid: string }[] };
      const other = await generateSigningKey('ES256', jwks.keys[0].kid);
      const { CompactSign, importJWK } = await import('jose');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const forged = await new CompactSign(
        new TextEncoder().encode(JSON.stringify({ ...payload, count: 39 })),
      )
        .setProtectedHeader({ alg: 'ES256', typ: 'audit-manifest+jwt', kid: other.kid })
        .sign(await importJWK(other.privateJwk, 'ES256'));
      const r = await copy('forged.ndjson', lines.slice(0, -1), forged);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/manifest signature/);
    });
  });

  it('exports CSV that an independent parser reads back as the NDJSON', async () => {
    const csvFile = path.join(dir, 'export.csv');
    const r = await cli([
      'audit',
      'export',
      '--url',
      broker.baseUrl,
      '--token',
      await auditorToken(),
      '--format',
      'csv',
      '--out',
      csvFile,
    ]);
    expect(r.code).toBe(0);
    const records = parseCsv(await readFile(csvFile, 'utf8'), {
      columns: true,
      skip_empty_lines: true,
    }) as Record<string, string>[];
    const fromNd = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // the CSV was cut later: it also holds the NDJSON export's two auditor actions
    expect(records.length).toBe(fromNd.length + 2);
    records.slice(0, fromNd.length).forEach((rec, i) => expect(lineFromCsv(rec)).toEqual(fromNd[i]));
    expect(records.slice(fromNd.length).every((rec) => rec.channel === 'audit')).toBe(true);
    const v = await cli(['audit', 'verify', csvFile]);
    expect(v.code).toBe(0);
  });

  it('restricts an auditor to the members of the token', async () => {
    const file = path.join(dir, 'm1.ndjson');
    const r = await cli([
      'audit',
      'export',
      '--url',
      broker.baseUrl,
      '--token',
      await auditorToken({ members: [t().m1.id] }),
      '--format',
      'ndjson',
      '--out',
      file,
    ]);
    expect(r.code).toBe(0);
    const objs = (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { memberId: string });
    expect(objs).toHaveLength(20);
    expect(objs.every((o) => o.memberId === t().m1.id)).toBe(true);
    const v = await cli(['audit', 'verify', file]);
    expect(v.code).toBe(0); // gapped, but each entry checks on its own and the manifest covers the set
  });

  it('refuses anyone but an auditor, with a coded error and no entries', async () => {
    const get = async (token: string | null, query = 'format=ndjson') => {
      const res = await request(`${broker.baseUrl}/audit/export?${query}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      const body = await res.body.text();
      return { status: res.statusCode, body };
    };
    const cases: [string, string | null, number, string][] = [
      ['no token', null, 401, 'UNAUTHENTICATED'],
      [
        'a member assertion',
        await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId),
        401,
        'UNAUTHENTICATED',
      ],
      ['a staff token without the auditor role', await auditorToken({ roles: ['clerk'] }), 403, 'FORBIDDEN'],
      [
        'an expired auditor token',
        await auditorToken({ iat: Math.floor(Date.now() / 1000) - 7200, lifetimeS: 600 }),
        401,
        'UNAUTHENTICATED',
      ],
    ];
    for (const [name, token, status, code] of cases) {
      const r = await get(token);
      expect({ name, status: r.status }).toEqual({ name, status });
      expect(JSON.parse(r.body).errors[0].extensions.code).toBe(code);
      expect(r.body).not.toContain(t().m1.id);
    }
    const outside = await get(await auditorToken({ members: [t().m1.id] }), `memberId=${t().m2.id}`);
    expect(outside.status).toBe(403);
    const bad = await get(await auditorToken(), 'subject=123');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors[0].extensions.code).toBe('INVALID_MATRICULE');
  });

  describe('export jobs (BullMQ on the real Redis, run by a worker process)', () => {
    interface Status {
      id: string;
      state: string;
      progress: { rows: number; total: number | null };
      download?: { file: string; manifest: string; expiresAt: string };
    }
    let worker: TestWorker | undefined;
    const call = async (method: 'GET' | 'POST', url: string, token?: string, base = broker.baseUrl) => {
      const res = await request(`${base}${url}`, {
        method,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { status: res.statusCode, body: await res.body.text() };
    };
    const code = (body: string) =>
      (JSON.parse(body) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code;
    const settled = async (id: string, token: string, base = broker.baseUrl): Promise<Status> =>
      waitFor(
        `export job ${id}`,
        async () => {
          const s = JSON.parse((await call('GET', `/audit/export/jobs/${id}`, token, base)).body) as Status;
          return s.state === 'COMPLETED' || s.state === 'FAILED' ? s : undefined;
        },
        30_000,
        200,
      );
    const downloads = async (id: string) =>
      (
        await sql<{ n: string }>(
          broker.databaseUrl,
          "SELECT count(*) AS n FROM access_log WHERE channel = 'audit' AND purpose = 'AUDIT-DOWNLOAD' AND job_id = $1",
          [id],
        )
      )[0].n;
    const exportDir = () => broker.env.EXPORT_DIR;
    let done: { id: string; status: Status; token: string } | undefined;

    afterAll(async () => {
      await worker?.stop();
    });

    it('queues only the job id; the worker reads the filter from PostgreSQL (a changed queue payload is ignored)', async () => {
      const token = await auditorToken();
      const submitted = await call('POST', `/audit/export/jobs?format=ndjson&memberId=${t().m1.id}`, token);
      expect(submitted.status).toBe(202);
      const { id, state } = JSON.parse(submitted.body) as Status;
      expect(state).toBe('QUEUED');

      const queue = new Queue(AUDIT_EXPORT_QUEUE, {
        connection: { url: broker.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
        prefix: exportQueuePrefix(t().brokerId, broker.databaseUrl),
      });
      try {
        const job = await queue.getJob(id);
        expect(job?.data).toEqual({ v: 2, jobId: id });
        // whoever can write to Redis tries to widen the export: the worker must not care
        await job?.updateData({ v: 2, jobId: id, filter: {}, format: 'csv' } as never);
      } finally {
        await queue.close();
      }
      // the gateway only enqueues: nothing runs until a worker starts
      await new Promise((r) => setTimeout(r, 1000));
      expect((JSON.parse((await call('GET', `/audit/export/jobs/${id}`, token)).body) as Status).state).toBe(
        'QUEUED',
      );

      worker = startWorker(broker.env);
      const status = await settled(id, token);
      expect(status).toMatchObject({ state: 'COMPLETED' });
      expect(status.progress.rows).toBe(status.progress.total);
      expect(status.progress.rows).toBeGreaterThanOrEqual(20);
      const body = await call('GET', status.download!.file, token);
      expect(body.status).toBe(200);
      const objs = body.body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { memberId: string });
      expect(objs).toHaveLength(status.progress.rows);
      expect(objs.every((o) => o.memberId === t().m1.id)).toBe(true);
    });

    it('serves the files to the same auditor Bearer token only, with no secret in the URL, each download logged', async () => {
      const token = await auditorToken();
      const submitted = await call('POST', '/audit/export/jobs?format=ndjson', token);
      const { id } = JSON.parse(submitted.body) as Status;
      const status = await settled(id, token);
      expect(status).toMatchObject({ state: 'COMPLETED' });
      expect(status.download).toMatchObject({
        file: `/audit/export/jobs/${id}/file`,
        manifest: `/audit/export/jobs/${id}/manifest`,
      });
      expect(JSON.stringify(status.download)).not.toMatch(/[?&]|sig=/);

      // no token, another auditor, a member: refused, and nothing logged
      const none = await call('GET', status.download!.file);
      expect(none.status).toBe(401);
      expect(code(none.body)).toBe('UNAUTHENTICATED');
      const other = await mintStaffToken(t().s1.key, t().s1.id, t().brokerId, 'someone-else');
      const otherGet = await call('GET', status.download!.file, other);
      expect(otherGet.status).toBe(404);
      expect(code(otherGet.body)).toBe('NOT_FOUND');
      expect((await call('GET', `/audit/export/jobs/${id}`, other)).status).toBe(404);
      expect(await downloads(id)).toBe('0');
      // the former signed-link route is gone
      expect((await call('GET', `/audit/export/files/${id}?kind=file&expires=1&sig=x`)).status).toBe(404);

      const file = path.join(dir, 'job.ndjson');
      const body = await call('GET', status.download!.file, token);
      expect(body.status).toBe(200);
      await writeFile(file, body.body);
      const manifestGet = await call('GET', status.download!.manifest, token);
      expect(manifestGet.status).toBe(200);
      await writeFile(`${file}.manifest.jws`, manifestGet.body);
      expect(await downloads(id)).toBe('2');
      expect((await call('GET', status.download!.file, token)).status).toBe(200);
      expect(await downloads(id)).toBe('3');
      const [entry] = await sql<{ member_id: string; audit_filter: string }>(
        broker.databaseUrl,
        "SELECT member_id, audit_filter FROM access_log WHERE purpose = 'AUDIT-DOWNLOAD' AND job_id = $1 ORDER BY seq LIMIT 1",
        [id],
      );
      expect(entry.member_id).toBe(`auditor:${t().s1.id}/auditor-e2e`);
      expect(JSON.parse(entry.audit_filter)).toMatchObject({ download: 'file', format: 'ndjson' });

      const v = await cli(['audit', 'verify', file, '--jwks', `${broker.baseUrl}/.well-known/jwks.json`]);
      expect(v.code).toBe(0);
      expect(body.body.split('\n').filter(Boolean)).toHaveLength(status.progress.rows);
      done = { id, status, token };
    });

    it('writes files private to the broker user: 0600 in a 0700 directory', async () => {
      const { id } = done!;
      expect((await stat(exportDir())).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(exportDir(), `${id}.ndjson`))).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(exportDir(), `${id}.ndjson.manifest.jws`))).mode & 0o777).toBe(0o600);
    });

    it("clean-up deletes only the job's own recorded files, never another file nor through a symlink", async () => {
      const { id, status, token } = done!;
      // a second completed job whose manifest name was replaced by a symlink to a file outside
      const second = JSON.parse((await call('POST', '/audit/export/jobs?format=csv', token)).body) as Status;
      expect((await settled(second.id, token)).state).toBe('COMPLETED');
      const victim = path.join(dir, 'victim.txt');
      await writeFile(victim, 'keep me');
      const link = path.join(exportDir(), `${second.id}.csv.manifest.jws`);
      await rm(link);
      await symlink(victim, link);
      // files of others in the same directory, one named like ours
      const foreign = [`${randomUUID()}.ndjson`, 'notes.txt', `${id}.ndjson.bak`];
      for (const name of foreign) await writeFile(path.join(exportDir(), name), 'not the broker');

      await sql(broker.databaseUrl, "UPDATE audit_export_job SET expires_at = now() - interval '1 second'");
      const expired = await call('GET', status.download!.file, token);
      expect(expired.status).toBe(410);
      expect(code(expired.body)).toBe('LINK_EXPIRED');
      await broker.app.get(ExportFilesCleaner).sweep();

      const left = await readdir(exportDir());
      expect(left).not.toContain(`${id}.ndjson`);
      expect(left).not.toContain(`${id}.ndjson.manifest.jws`);
      expect(left).not.toContain(`${second.id}.csv`);
      for (const name of foreign) expect(left).toContain(name);
      expect(await readFile(victim, 'utf8')).toBe('keep me');
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      const after = JSON.parse((await call('GET', `/audit/export/jobs/${id}`, token)).body) as Status;
      expect(after.download).toBeUndefined();
    });

    it('a worker started with a queue that has no processor refuses to boot', async () => {
      const bad = startWorker({ ...broker.env, WORKER_QUEUES: 'person-batch.v1,audit-export.v1' });
      const exit = await waitFor('the worker to exit', async () => {
        const out = bad.output();
        return /worker refuses to start/.test(out) ? out : undefined;
      });
      expect(exit).toContain('queue audit-export.v1 has no processor');
      expect((await bad.stop()).code).toBe(1);
    });

    it('refuses a job from a non-auditor', async () => {
      const r = await call('POST', '/audit/export/jobs?format=csv', await auditorToken({ roles: ['clerk'] }));
      expect(r.status).toBe(403);
      expect(code(r.body)).toBe('FORBIDDEN');
    });
  });

  it('without Redis, a development gateway runs export jobs itself', async () => {
    const dev = await startTestBroker(sim.url, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      BROKER_MODE: 'development',
    });
    try {
      const token = await mintStaffToken(
        dev.trust.s1.key,
        dev.trust.s1.id,
        dev.trust.brokerId,
        'dev-auditor',
      );
      const submitted = await request(`${dev.baseUrl}/audit/export/jobs?format=ndjson`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(submitted.statusCode).toBe(202);
      const { id } = (await submitted.body.json()) as { id: string };
      const file = await waitFor(
        'the in-process export',
        async () => {
          const res = await request(`${dev.baseUrl}/audit/export/jobs/${id}/file`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const text = await res.body.text();
          return res.statusCode === 200 ? text : undefined;
        },
        30_000,
        200,
      );
      // a fresh log: the cut is before the job's own AUDIT-EXPORT entry, so the file is empty
      expect(file).toBe('');
      const logged = await sql<{ purpose: string }>(
        dev.databaseUrl,
        'SELECT purpose FROM access_log WHERE job_id = $1 ORDER BY seq',
        [id],
      );
      expect(logged.map((r) => r.purpose)).toEqual(['AUDIT-EXPORT', 'AUDIT-MANIFEST', 'AUDIT-DOWNLOAD']);
    } finally {
      await dev.close();
    }
  });

  it('publishes the broker public keys, without private parts', async () => {
    const res = await request(`${broker.baseUrl}/.well-known/jwks.json`);
    const jwks = (await res.body.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((k) => !('d' in k) && typeof k.kid === 'string')).toBe(true);
  });
});
