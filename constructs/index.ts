// zero-trust-mesh: the constructs and MeshApp. Helpers the constructs share (name checks,
// ManifestObject, SecurityManifest) stay internal.
export * from './caller.js';
export * from './dataplane.js';
export * from './env-value.js';
export { ZeroTrustConfigError } from './errors.js';
export * from './gitops-delivery.js';
export * from './grant.js';
export * from './ingress-gateway.js';
export * from './jwt-issuer.js';
export * from './jwt-protected-service.js';
export * from './mesh.js';
export * from './mesh-app.js';
export * from './mesh-ingress.js';
export * from './mesh-workload.js';
export { acceptsPlaintext, MtlsMode } from './mtls-mode.js';
export * from './security-posture.js';
export * from './service-port.js';
export * from './zero-trust-namespace.js';
export type { Autoscaling, DisruptionBudget } from './availability.js';
export type { PersistentVolume, VolumeAccessMode } from './persistent-volume.js';
export * from './probe.js';
export type { VersionRoute, WorkloadVersion } from './workload-version.js';
export * from './egress-gateway.js';
export * from './external-host.js';
