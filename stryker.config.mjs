// Mutation testing of the security core (issue 21): `npm run mutation`, not part of `npm test`.
// StrykerJS plants small bugs (mutants) in the modules whose logic decides a verdict or emits a
// policy and reruns the tests that cover each one; a mutant no test notices is a gap, or an
// equivalent change (README, "Mutation testing", lists the survivors and why they stay).
//
//   npm run mutation                                          # every module in scope (hours on 2 cores)
//   npm run mutation -- --mutate analysis/access/match.ts     # one module (a glob or a list works too)
//   ZT_MUTATION_TESTS=test/analysis/access/semantics.test.ts npm run mutation -- --mutate analysis/access/match.ts
//
// The jest runner follows jest.config.js: native ESM, so the test processes get
// --experimental-vm-modules as `npm test` does. `enableFindRelatedTests` runs only the test files
// that import the mutated files, and perTest coverage then runs, for each mutant, only the tests
// that executed its code. Incremental mode keeps the results in reports/mutation/ and reruns
// only the mutants whose code or covering tests changed since.

/** The modules whose logic decides a verdict or emits a policy (issue 21). */
const SECURITY_CORE = [
  // The access simulator: rule matching, the request pipeline, JWT validation.
  'analysis/access/match.ts',
  'analysis/access/simulator.ts',
  'analysis/access/jwt.ts',
  // The model: effective mTLS, which policies select a workload, host resolution.
  'analysis/model.ts',
  'analysis/policy.ts',
  // The analyzer's checks.
  'analysis/checks/*.ts',
  // Grant rendering in the constructs: callers and operations into AuthorizationPolicy rules.
  'constructs/grant.ts',
  'constructs/caller.ts',
  'constructs/mesh-workload.ts',
];

/**
 * The test files run against the mutants: by default the suites that exercise these modules
 * directly (analysis, constructs, the reference mesh's environments). `ZT_MUTATION_TESTS` (comma
 * separated paths or globs under the repository root) narrows them for a quick, targeted run.
 */
const tests = (process.env.ZT_MUTATION_TESTS ?? 'test/analysis/**/*.test.ts,test/constructs/**/*.test.ts,test/infra/**/*.test.ts')
  .split(',').map((t) => t.trim()).filter(Boolean).map((t) => `<rootDir>/${t}`);

/**
 * Jest's related-test search only follows imports through files under its roots; jest.config.js
 * has just test/, so every source directory is a root here (testMatch still picks the tests).
 */
const roots = ['test', 'analysis', 'constructs', 'infra', 'manifests', 'imports', 'testing', 'cli', 'stacks', 'pulumi'].map((d) => `<rootDir>/${d}`);

/**
 * One incremental file per `--mutate` scope: Stryker's incremental file is the previous run's
 * report, holding only the files that run mutated, so scopes sharing one file would forget each
 * other's results.
 */
const mutateArg = process.argv.findIndex((a) => a === '--mutate' || a === '-m');
const scope = mutateArg >= 0 && process.argv[mutateArg + 1] ? process.argv[mutateArg + 1].replace(/[^A-Za-z0-9.-]+/g, '_') : 'security-core';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: { roots, testMatch: tests },
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  mutate: SECURITY_CORE,
  // Results per mutant, reused by the next run of the same scope for unchanged code and tests
  // (git-ignored: a cache of this work tree's runs, not a record; the README states the scores).
  // Static mutants (module-level tables) cover no test, so a reused result ignores tests added
  // since: after adding tests for such code, rerun with --force.
  incremental: true,
  incrementalFile: `reports/mutation/incremental/${scope}.json`,
  // The machines have 2 cores, usually shared: one test process unless told otherwise.
  concurrency: 1,
  timeoutFactor: 2,
  reporters: ['progress', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Built output, renders and reports are not sources: keep them out of the sandbox.
  ignorePatterns: ['lib', 'dist', 'cdk8s.out', 'coverage', 'reports', '*.tgz'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
