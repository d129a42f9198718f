'use strict';
// One jest config, two projects: `unit` (*.spec.ts beside the code, pure logic) and `e2e`
// (test/**/*.e2e-spec.ts, real PostgreSQL, real HTTP, real signatures). Aliases come from
// tsconfig.json so that there is one list of them.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    `<rootDir>/${target}`,
  ]),
);
const transform = {
  '^.+\\.(t|j|mj)s$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    },
  ],
};
// jose 6 and content-disposition 2 (under bull-board's @fastify/static) ship ESM only: swc turns them into CommonJS for jest.
const transformIgnorePatterns = ['/node_modules/(?!(jose|content-disposition)/)'];
const common = { moduleNameMapper, transform, transformIgnorePatterns, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,bench}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.js',
      // testTimeout is not read per project: the setup file sets it for tests and hooks alike
      setupFilesAfterEnv: ['<rootDir>/test/e2e-timeout.ts'],
    },
  ],
};
