import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Manifest } from '../manifests/manifest.js';
import { manifestId } from '../manifests/manifest.js';

/** A manifest is already in the shape of the typed class's args (the same Kubernetes fields). */
const args = <T>(manifest: Manifest): T => manifest as unknown as T;

type ResourceFactory = (name: string, manifest: Manifest, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/**
 * The typed `@pulumi/kubernetes` class of each built-in kind the mesh emits. The class matters:
 * it fixes the resource's type token (`kubernetes:core/v1:Service`) and so the provider's schema
 * and readiness logic. Add a kind here when a construct starts emitting it; other kinds are refused before anything is registered.
 */
const BUILT_IN: Record<string, ResourceFactory> = {
  'v1/Namespace': (n, m, o) => new k8s.core.v1.Namespace(n, args<k8s.core.v1.NamespaceArgs>(m), o),
  'v1/ServiceAccount': (n, m, o) => new k8s.core.v1.ServiceAccount(n, args<k8s.core.v1.ServiceAccountArgs>(m), o),
  'v1/Service': (n, m, o) => new k8s.core.v1.Service(n, args<k8s.core.v1.ServiceArgs>(m), o),
  'v1/ConfigMap': (n, m, o) => new k8s.core.v1.ConfigMap(n, args<k8s.core.v1.ConfigMapArgs>(m), o),
  'apps/v1/Deployment': (n, m, o) => new k8s.apps.v1.Deployment(n, args<k8s.apps.v1.DeploymentArgs>(m), o),
  'apps/v1/StatefulSet': (n, m, o) => new k8s.apps.v1.StatefulSet(n, args<k8s.apps.v1.StatefulSetArgs>(m), o),
  'networking.k8s.io/v1/NetworkPolicy': (n, m, o) => new k8s.networking.v1.NetworkPolicy(n, args<k8s.networking.v1.NetworkPolicyArgs>(m), o),
  'policy/v1/PodDisruptionBudget': (n, m, o) => new k8s.policy.v1.PodDisruptionBudget(n, args<k8s.policy.v1.PodDisruptionBudgetArgs>(m), o),
  'autoscaling/v2/HorizontalPodAutoscaler': (n, m, o) => new k8s.autoscaling.v2.HorizontalPodAutoscaler(n, args<k8s.autoscaling.v2.HorizontalPodAutoscalerArgs>(m), o),
};

/** Istio's API groups (`security.istio.io`, `networking.istio.io`, `telemetry.istio.io`, ...). */
export function isIstioObject(manifest: Manifest): boolean {
  return /^[a-z0-9.-]+\.istio\.io\//.test(manifest.apiVersion);
}

/**
 * The Kubernetes Gateway API kinds the constructs emit (Gateway for ingress and ambient waypoints,
 * HTTPRoute, ReferenceGrant): custom resources whose CRDs the cluster's administrator installs
 * (istio.io, "Kubernetes Gateway API"; not part of Istio's `base` chart).
 */
const GATEWAY_API_KINDS = new Set(['gateway.networking.k8s.io/v1/Gateway', 'gateway.networking.k8s.io/v1/HTTPRoute', 'gateway.networking.k8s.io/v1beta1/ReferenceGrant']);

export function isGatewayApiObject(manifest: Manifest): boolean {
  return GATEWAY_API_KINDS.has(`${manifest.apiVersion}/${manifest.kind}`);
}

/** Kinds whose pods run the application: they wait for injection and for their policies. */
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

export function isWorkload(manifest: Manifest): boolean {
  return WORKLOAD_KINDS.has(manifest.kind);
}

/**
 * Whether this program can register the object. Checked for every object before the first
 * registration, so an unsupported kind stops the program with nothing half-deployed.
 */
export function registrable(manifest: Manifest): boolean {
  return isIstioObject(manifest) || isGatewayApiObject(manifest) || Object.hasOwn(BUILT_IN, `${manifest.apiVersion}/${manifest.kind}`);
}

/**
 * The Pulumi resource name of an object: `namespace/name`, or the name of a cluster-scoped one.
 * Kinds differ in type token, so the name only needs to be unique within a kind. It is stable
 * (no generated suffix), so an update is a diff, not a replacement.
 */
export function resourceName(manifest: Manifest): string {
  return manifest.metadata.namespace ? `${manifest.metadata.namespace}/${manifest.metadata.name}` : manifest.metadata.name;
}

/** Registers one manifest, fields unchanged, as the matching `@pulumi/kubernetes` resource named `name`. */
export function registerManifest(manifest: Manifest, name: string, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  if (isIstioObject(manifest) || isGatewayApiObject(manifest)) {
    return new k8s.apiextensions.CustomResource(name, args<k8s.apiextensions.CustomResourceArgs>(manifest), opts);
  }
  const factory = BUILT_IN[`${manifest.apiVersion}/${manifest.kind}`];
  if (!factory) throw new Error(`no Pulumi resource class for ${manifestId(manifest)} (${manifest.apiVersion}); create it outside the Mesh (with @pulumi/kubernetes directly)`);
  return factory(name, manifest, opts);
}
