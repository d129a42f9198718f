import { jest } from '@jest/globals';

// End-to-end tests and their hooks start real processes and databases on a shared machine:
// 60 s each, unless a test says otherwise (testTimeout is not read per jest project).
jest.setTimeout(60_000);
