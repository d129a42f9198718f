'use strict';
// Fails fast, with the reason, when the real PostgreSQL the e2e tests need is not there.
const { Client } = require('pg');

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
};
