/**
 * `npm run demo:audit`: mints a demo auditor token (staff issuer `cnpd-staff`), exports the whole
 * access log with the CLI into .data/audit/ (NDJSON, manifest, broker keys), and verifies it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadBrokerConfig } from '@broker/config';
import { mintStaffToken } from '@broker/testing';
import { DATA_DIR, DEMO_BROKER_ID, DEMO_STAFF, DEV_KEYS_FILE, ensureDevKeys } from './demo-trust';

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
  run(['audit', 'verify', out, '--jwks', `${url}/.well-known/jwks.json`]);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo:audit failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
