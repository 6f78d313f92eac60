// zero-trust-mesh/testing: assert what a mesh allows, in a consumer's tests.
export * from './synthesized-mesh.js';
export type { AccessRequest, AccessSource, Outcome, Verdict } from '../analysis/access/simulator.js';
export type { MatrixCell, TokenVariant } from '../analysis/access/matrix.js';
