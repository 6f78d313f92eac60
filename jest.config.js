// ESM throughout: @kubernetes-models/istio ships only ES modules, so tests run in jest's
// native ESM mode (node --experimental-vm-modules, see package.json) and ts-jest only
// transpiles; `npm test` type-checks the whole tree with tsc first.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The package's entry points, as tsconfig.json's paths map them: its sources.
    '^zero-trust-mesh$': '<rootDir>/constructs/index.ts',
    '^zero-trust-mesh/(analysis|pulumi|testing)$': '<rootDir>/$1/index.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
};
