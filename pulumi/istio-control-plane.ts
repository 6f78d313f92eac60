import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** Where Istio publishes its Helm charts (istio.io: "Install with Helm"). */
export const ISTIO_HELM_REPOSITORY = 'https://istio-release.storage.googleapis.com/charts';

/** Props of `IstioControlPlane`. */
export interface IstioControlPlaneArgs {
  /** The chart version of `base`, `istiod` and `gateway`; pinned, never a range. */
  readonly version: string;
  /** The mesh root namespace, where `base` and `istiod` run (`istio-system`). */
  readonly namespace: string;
  /** meshConfig `trustDomain`: the `<trust-domain>` of every SPIFFE id istiod issues. */
  readonly trustDomain: string;
  /**
   * meshConfig `outboundTrafficPolicy.mode`: the mesh-wide default for a sidecar's requests to
   * hosts it does not know; every namespace's Sidecar states the same mode.
   * @default 'REGISTRY_ONLY'
   */
  readonly outboundTrafficPolicy?: 'REGISTRY_ONLY' | 'ALLOW_ANY';
  /**
   * The ingress gateway's Helm release; its name sets the pods' `istio=<name minus "istio-">`
   * label and service account, which the mesh's Gateway and policies select.
   */
  readonly gateway: { readonly release: string; readonly namespace: string };
  /**
   * The egress gateway's Helm release (the same `gateway` chart with a ClusterIP Service: it is
   * reached from inside the mesh only; istio.io, "Installing Gateways").
   * @default - none
   */
  readonly egressGateway?: { readonly release: string; readonly namespace: string };
}

/**
 * Istio's control plane as pinned Helm releases, in the order istio.io's Helm install gives:
 * `base` (CRDs and cluster roles), then `istiod` (CA, config, injection and validation webhooks),
 * then the ingress gateway (and the egress gateway, when the mesh has one). Depending on this component means depending on all three
 * being ready, so no Istio object is applied before its CRD and validating webhook exist and no
 * pod is created before the injector can give it a sidecar.
 */
export class IstioControlPlane extends pulumi.ComponentResource {
  public readonly base: k8s.helm.v3.Release;
  public readonly istiod: k8s.helm.v3.Release;
  public readonly gateway: k8s.helm.v3.Release;
  /** The egress gateway's release, when `egressGateway` was given. */
  public readonly egressGateway?: k8s.helm.v3.Release;
  /** The namespaces this component creates. */
  public readonly namespaces: readonly string[];

  public constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super('zero-trust-mesh:istio:ControlPlane', name, {}, opts);
    const namespaces = [...new Set([args.namespace, args.gateway.namespace, ...(args.egressGateway ? [args.egressGateway.namespace] : [])])].sort();
    const created = namespaces.map((ns) => new k8s.core.v1.Namespace(`${name}/${ns}`, { metadata: { name: ns } }, { parent: this }));
    const release = (releaseName: string, chart: string, namespace: string, values: Record<string, unknown>, dependsOn: pulumi.Resource[]) =>
      new k8s.helm.v3.Release(`${name}/${releaseName}`, {
        // An explicit release name: Pulumi would otherwise add a random suffix, and the gateway's
        // release name is its identity.
        name: releaseName,
        chart,
        version: args.version,
        repositoryOpts: { repo: ISTIO_HELM_REPOSITORY },
        namespace,
        values,
        // Roll back a failed upgrade instead of leaving a half-upgraded control plane.
        atomic: true,
        timeout: 600,
      }, { parent: this, dependsOn });

    this.base = release('istio-base', 'base', args.namespace, { defaultRevision: 'default' }, created);
    this.istiod = release('istiod', 'istiod', args.namespace, {
      meshConfig: {
        trustDomain: args.trustDomain,
        outboundTrafficPolicy: { mode: args.outboundTrafficPolicy ?? 'REGISTRY_ONLY' },
        // Envoy access logs to stdout; the mesh's Telemetry object (written by synth as well)
        // configures the same provider for GitOps-managed clusters.
        accessLogFile: '/dev/stdout',
        accessLogEncoding: 'JSON',
      },
    }, [this.base]);
    this.gateway = release(args.gateway.release, 'gateway', args.gateway.namespace, {}, [this.istiod]);
    if (args.egressGateway) {
      this.egressGateway = release(args.egressGateway.release, 'gateway', args.egressGateway.namespace, { service: { type: 'ClusterIP' } }, [this.istiod]);
    }
    this.namespaces = namespaces;
    this.registerOutputs({ version: args.version, namespaces });
  }
}
