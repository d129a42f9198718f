'use strict';
// Fails fast, with the reason, when the real PostgreSQL and Redis the e2e tests need are not there.
const net = require('node:net');
const { Client } = require('pg');

function redisPing(url) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

module.exports = async function globalSetup() {
  const url = new URL(
    process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/broker',
  );
  url.pathname = '/postgres';
  const c = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.end();
  } catch (e) {
    throw new Error(
      `e2e tests need PostgreSQL at ${url.host} (TEST_DATABASE_URL or DATABASE_URL): ${e.message}`,
    );
  }
  const redis = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!(await redisPing(redis))) throw new Error(`e2e tests need Redis at ${redis} (REDIS_URL)`);
};
