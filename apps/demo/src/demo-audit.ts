/**
 * `npm run demo:audit`: mints a demo auditor token (staff issuer `cnpd-staff`), exports the whole
 * access log with the CLI into .data/audit/ (NDJSON, manifest, broker keys), and verifies it,
 * with its anchor in the witnessed transparency log.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadBrokerConfig } from '@broker/config';
import { mintStaffToken } from '@broker/testing';
import {
  DATA_DIR,
  DEMO_BROKER_ID,
  DEMO_STAFF,
  DEMO_TRUST_PATH,
  DEV_KEYS_FILE,
  ensureDevKeys,
} from './demo-trust';

/**
 * The keys that anchor the export in the witnessed log: the witnesses' from the demo trust file
 * (as an auditor holds them, not from the broker), the broker's note key from /log/vkey.
 */
async function anchorKeys(url: string): Promise<string[]> {
  if (!existsSync(DEMO_TRUST_PATH)) return [];
  const trust = JSON.parse(readFileSync(DEMO_TRUST_PATH, 'utf8')) as {
    witnesses?: { vkey: string }[];
    witnessQuorum?: number;
  };
  const res = await fetch(`${url}/log/vkey`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) return [];
  const logVkey = (await res.text()).trim();
  return [
    '--log-vkey',
    logVkey,
    ...(trust.witnesses ?? []).flatMap((w) => ['--witness-vkey', w.vkey]),
    ...(trust.witnessQuorum ? ['--quorum', String(trust.witnessQuorum)] : []),
  ];
}

async function main(): Promise<void> {
  if (!existsSync(DEV_KEYS_FILE)) throw new Error('no dev keys yet: run `npm start` first');
  const config = loadBrokerConfig(process.env, 'tool');
  const keys = await ensureDevKeys();
  const key = keys.staff?.[DEMO_STAFF.id];
  if (!key)
    throw new Error('no demo staff key: restart `npm start` once so that the demo trust file names it');
  const token = await mintStaffToken(key, DEMO_STAFF.id, DEMO_BROKER_ID, 'demo-auditor');
  const dir = path.join(DATA_DIR, 'audit');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `access-log-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`);
  const cli = path.resolve(__dirname, '..', '..', 'cli', 'src', 'main.js');
  const url = `http://${config.gatewayHost}:${config.gatewayPort}`;
  const run = (args: string[]) =>
    execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', cli, ...args], {
      stdio: 'inherit',
    });
  process.stderr.write(`exporting ${url}/audit/export as auditor cnpd-staff/demo-auditor\n`);
  run(['audit', 'export', '--url', url, '--token', token, '--format', 'ndjson', '--out', out]);
  run(['audit', 'verify', out, '--jwks', `${url}/.well-known/jwks.json`, ...(await anchorKeys(url))]);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo:audit failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
