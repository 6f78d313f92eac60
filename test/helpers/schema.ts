// Validates manifests against the published schemas: Kubernetes' (kubernetes-models),
// Istio's CRDs (@kubernetes-models/istio, Istio 1.29 schemas; both are ESM-only packages), and the
// GitOps CRDs (Argo CD Application, Flux GitRepository and Kustomization) through their
// openAPIV3Schema (crd-schema.ts).
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import { RequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { Sidecar } from '@kubernetes-models/istio/networking.istio.io/v1/Sidecar';
import { ServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import { Telemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry';
import type { Manifest } from '../../manifests/index.js';
import { crdErrors, crdFixtures } from './crd-schema.js';

interface Model { validate(): void }
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'security.istio.io/v1/AuthorizationPolicy': AuthorizationPolicy,
  'security.istio.io/v1/PeerAuthentication': PeerAuthentication,
  'security.istio.io/v1/RequestAuthentication': RequestAuthentication,
  'networking.istio.io/v1/Gateway': Gateway,
  'networking.istio.io/v1/VirtualService': VirtualService,
  'networking.istio.io/v1/DestinationRule': DestinationRule,
  'networking.istio.io/v1/Sidecar': Sidecar,
  'networking.istio.io/v1/ServiceEntry': ServiceEntry,
  'telemetry.istio.io/v1/Telemetry': Telemetry,
} as Record<string, ModelClass>;

/** Schema errors of one manifest; an unknown kind is an error too, so nothing goes unchecked. */
export function schemaErrors(manifest: Manifest): string[] {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  const crd = crdFixtures().get(`${manifest.apiVersion}/${manifest.kind}`);
  if (!model && crd) return crdErrors(manifest, crd);
  if (!model) return [`no schema registered for ${manifest.apiVersion} ${manifest.kind}`];
  try {
    new model(structuredClone(manifest) as never).validate();
    return [];
  } catch (error) {
    return [String((error as Error).message)];
  }
}
