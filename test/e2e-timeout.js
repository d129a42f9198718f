// End-to-end tests and their hooks start real processes and databases on a shared machine:
// 60 s each, unless a test says otherwise.
const { jest } = require('@jest/globals');

jest.setTimeout(60_000);
