/**
 * `audit export`'s work, kept apart from the Nest CLI so that main.ts can run it without loading
 * the CLI's modules (the export streams hundreds of MiB: the process stays small). Only undici
 * and Node's own modules.
 */
import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';

export interface ExportOptions {
  url?: string;
  token?: string;
  from?: string;
  to?: string;
  memberId?: string;
  purpose?: string;
  subject?: string;
  outcome?: string;
  format?: string;
  out?: string;
}

/** The options `audit export` takes, flag to key (each takes one value). */
export const EXPORT_FLAGS: Record<string, keyof ExportOptions> = {
  '--url': 'url',
  '--token': 'token',
  '--from': 'from',
  '--to': 'to',
  '--member-id': 'memberId',
  '--purpose': 'purpose',
  '--subject': 'subject',
  '--outcome': 'outcome',
  '--format': 'format',
  '--out': 'out',
};

/**
 * The options of a well-formed `audit export` command line (`--flag value` or `--flag=value`,
 * each flag once), or undefined for anything else (help, an unknown or repeated flag, a missing
 * value): the full CLI then handles it and reports as it always did.
 */
export function leanExportOptions(args: readonly string[]): ExportOptions | undefined {
  const o: ExportOptions = {};
  for (let i = 0; i < args.length; i++) {
    const eq = args[i].indexOf('=');
    const flag = eq > 0 ? args[i].slice(0, eq) : args[i];
    const key = EXPORT_FLAGS[flag];
    if (!key || o[key] !== undefined) return undefined;
    const value = eq > 0 ? args[i].slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('-'))) return undefined;
    o[key] = value;
  }
  return o;
}

function fail(message: string, code = 2): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = code;
}

/** Counts lines going through and, on a terminal, draws a progress bar against `total` entries. */
function progress(label: string, total: number | null, headerLines: number): Transform {
  let bytes = 0;
  let lines = 0;
  let last = 0;
  const tty = process.stderr.isTTY;
  const draw = (): void => {
    const done = Math.max(0, lines - headerLines);
    const mib = `${(bytes / 1048576).toFixed(1)} MiB`;
    if (total && total > 0) {
      const ratio = Math.min(1, done / total);
      const bar = '#'.repeat(Math.round(ratio * 30)).padEnd(30, '.');
      process.stderr.write(
        `\r${label} [${bar}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} entries, ${mib}`,
      );
    } else {
      process.stderr.write(`\r${label}: ${done.toLocaleString('en')} entries, ${mib}`);
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      const now = Date.now();
      if (tty && now - last > 200) {
        last = now;
        draw();
      }
      done(null, chunk);
    },
    flush(done) {
      if (tty) {
        draw();
        process.stderr.write('\n');
      }
      done();
    },
  });
}

export async function runAuditExport(o: ExportOptions): Promise<void> {
  if (!o.url || !o.token || !o.out) return fail('audit export needs --url, --token and --out');
  const format = o.format ?? 'ndjson';
  const query = new URLSearchParams({ format });
  for (const k of ['from', 'to', 'memberId', 'purpose', 'subject', 'outcome'] as const)
    if (o[k]) query.set(k, o[k] as string);
  const base = o.url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${o.token}` };

  const res = await request(`${base}/audit/export?${query}`, { headers });
  if (res.statusCode !== 200)
    return fail(`export refused: HTTP ${res.statusCode} ${await res.body.text()}`, 1);
  const headSeq = String(res.headers['x-audit-head-seq'] ?? '');
  const partial = `${o.out}.partial`;
  const announced = Number(res.headers['x-audit-entries']);
  const total = Number.isFinite(announced) ? announced : null;
  await pipeline(
    res.body,
    progress('exporting', total, format === 'csv' ? 1 : 0),
    createWriteStream(partial),
  );
  await rename(partial, o.out);

  const manifestQuery = new URLSearchParams(query);
  if (headSeq) manifestQuery.set('headSeq', headSeq);
  const m = await request(`${base}/audit/export/manifest?${manifestQuery}`, { headers });
  const manifest = await m.body.text();
  if (m.statusCode !== 200) return fail(`manifest refused: HTTP ${m.statusCode} ${manifest}`, 1);
  await writeFile(`${o.out}.manifest.jws`, manifest.trim() + '\n');
  const k = await request(`${base}/.well-known/jwks.json`);
  await writeFile(`${o.out}.jwks.json`, await k.body.text());
  process.stdout.write(
    `wrote ${o.out}, ${o.out}.manifest.jws and ${o.out}.jwks.json (chain cut at seq ${headSeq})\n`,
  );
}
