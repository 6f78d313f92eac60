// The offline policy analyzer: reads plain manifests (anyone's), builds a model of the mesh,
// and reports what Istio would silently get wrong. Reads manifests only, never constructs.
export * from './analyze.js';
export * from './checks/index.js';
export * from './finding.js';
export * from './format.js';
export { ACKNOWLEDGEMENT_PREFIX, acknowledgementAnnotation, type Exception } from './istio.js';
export * from './load.js';
export * from './model.js';
