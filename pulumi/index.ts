// zero-trust-mesh/pulumi: deploy a Mesh with Pulumi. Needs the optional peer dependencies
// @pulumi/pulumi and @pulumi/kubernetes; nothing else in the package loads them.
export * from './mesh-deployment.js';
export { IstioControlPlane, ISTIO_HELM_REPOSITORY, type IstioControlPlaneArgs } from './istio-control-plane.js';
