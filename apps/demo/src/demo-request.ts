/** `npm run demo:request`: mints a demo member assertion and consent, calls the gateway, prints the JSON answer. */
import { request } from 'undici';
import { existsSync } from 'node:fs';
import { loadBrokerConfig } from '@broker/config';
import { demoPerson, demoRequest } from './demo-client';
import { DEV_KEYS_FILE, ensureDevKeys } from './demo-trust';

async function main(): Promise<void> {
  if (!existsSync(DEV_KEYS_FILE)) throw new Error('no dev keys yet: run `npm start` first');
  const config = loadBrokerConfig(process.env, 'tool');
  const keys = await ensureDevKeys();
  const matricule = await demoPerson(config.rnppUrl);
  const req = await demoRequest(keys, matricule);
  const url = `http://${config.gatewayHost}:${config.gatewayPort}/graphql`;
  process.stderr.write(
    `POST ${url} as member ccss, purpose SOCIAL-SECURITY-AFFILIATION, items name+birth+address\n`,
  );
  const res = await request(url, { method: 'POST', headers: req.headers, body: req.body });
  const body = await res.body.json();
  process.stderr.write(
    `HTTP ${res.statusCode}, X-Correlation-Id ${String(res.headers['x-correlation-id'])}\n`,
  );
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (res.statusCode !== 200 || (body as { errors?: unknown }).errors) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`demo:request failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
