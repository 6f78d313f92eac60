// The offline policy analyzer: reads plain manifests (anyone's), builds a model of the mesh,
// and reports what Istio would silently get wrong. Reads manifests only, never constructs.
export * from './analyze.js';
export * from './checks/index.js';
export * from './finding.js';
export * from './format.js';
export { ACKNOWLEDGEMENT_PREFIX, acknowledgementAnnotation, type Exception } from './istio.js';
export * from './load.js';
export * from './model.js';
// The access simulator: Istio's decision for one request, the matrix, the diff and the chain.
export * from './access/simulator.js';
export { accessMatrix, forEachMatrixCell, forEachMatrixColumn, type MatrixCell, type MatrixColumn, type MatrixOptions } from './access/matrix.js';
export { tokenJourney, type ChainRequest, type ChainStep } from './access/chain.js';
export * from './access/report.js';
export type { JwtClaims, JwtVerdict, JwksResolver, TokenLocation } from './access/jwt.js';
// What the constructs record beside each policy rule (whom it admits, and why), read back.
export * from './access/grants.js';
// The review of a change: two synthesized trees compared per environment (`zt-mesh review`).
export * from './review.js';
export * from './review-report.js';
