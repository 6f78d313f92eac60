import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { countBySeverity, type Finding, type Severity } from '../analysis/finding.js';
import { ZeroTrustConfigError } from '../constructs/errors.js';
import { type Mesh, MeshAnalysisError, type MeshSynthesis } from '../constructs/mesh.js';
import { type DeploymentPlan, planDeployment } from './deployment-plan.js';
import { IstioControlPlane } from './istio-control-plane.js';
import { registerManifest, resourceName } from './kubernetes-resource.js';

/** Istio's control plane, as `MeshDeployment` installs it. */
export interface IstioInstallArgs {
  /** The version of Istio's Helm charts (`base`, `istiod`, `gateway`); pinned, never a range. */
  readonly version: string;
}

/** Props of `MeshDeployment`. */
export interface MeshDeploymentArgs {
  /**
   * The mesh to deploy: its objects are built by `mesh.synthesize()`, so every construct's
   * validations and the policy analyzer run before anything is registered, exactly as for
   * `cdk8s synth`.
   */
  readonly mesh: Mesh;
  /**
   * The values of the Secrets the mesh's workloads read (`EnvValue.fromSecretKey`), by
   * `"<namespace>/<name>"`, then key. Each is registered as a Kubernetes Secret whose values
   * are Pulumi secrets (encrypted in state, never in a synthesized file). A Secret a workload
   * reads that is neither here nor in `existingSecrets` is refused.
   * @default - none
   */
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
  /**
   * Secrets that other tooling creates (an external secrets operator, a sealed secret), by
   * `"<namespace>/<name>"`: workloads may read them, nothing waits for them.
   * @default - none
   */
  readonly existingSecrets?: readonly string[];
  /**
   * Install Istio's control plane first (pinned Helm releases in the mesh's root namespace,
   * with its trust domain, and the ingress gateway release the mesh's `IngressGateway` names).
   * @default - not installed: a platform team already runs Istio
   */
  readonly istio?: IstioInstallArgs;
}

/**
 * A zero-trust mesh as Pulumi resources: optionally Istio's control plane, then every object
 * the mesh synthesizes (the same objects `cdk8s synth` writes, unchanged, after the same
 * analyzer gate), and the Secrets its workloads read, created from Pulumi secrets.
 *
 * Everything is checked before the first resource is registered. Children are parented to the
 * component and inherit its providers; their names are `<component name>/<namespace>/<name>`,
 * stable across updates (an update is a diff, never a replacement by rename). Registration
 * order makes the zero-trust guarantee hold on a fresh cluster: namespaces first, then
 * identities, policies and routing, and each workload only after its ServiceAccount, its
 * Secrets and the security policies of its namespace and of the mesh, so no pod ever runs
 * unprotected.
 */
export class MeshDeployment extends pulumi.ComponentResource {
  /** The control plane, when `istio` was given. */
  public readonly controlPlane?: IstioControlPlane;
  /** Every registered object by id (`Kind/namespace/name`), in registration order. */
  public readonly objects: ReadonlyMap<string, pulumi.CustomResource>;
  /** The namespaces the mesh defines. */
  public readonly namespaces: readonly string[];
  /** The policy analyzer's findings on the deployed objects (never an error: those stop the deployment). */
  public readonly findings: readonly Finding[];

  /**
   * @throws pulumi.RunError (which Pulumi prints as its message, without a stack trace) when a
   * construct refuses the mesh, the analyzer finds an error, or a Secret is missing; nothing is
   * registered then.
   */
  public constructor(name: string, args: MeshDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Built and checked before the component itself is registered: a refusal registers nothing.
    const { synthesis, plan } = checked(name, args);
    const gateway = args.mesh.ingressGateway;

    super('zero-trust-mesh:index:MeshDeployment', name, {}, opts);
    if (args.istio) {
      this.controlPlane = new IstioControlPlane(`${name}-istio`, {
        version: args.istio.version,
        namespace: synthesis.rootNamespace,
        trustDomain: synthesis.trustDomain,
        outboundTrafficPolicy: args.mesh.outboundTrafficPolicy,
        gateway: { release: gateway.helmRelease!, namespace: gateway.namespace },
        ...(args.mesh.egressGateway ? { egressGateway: { release: args.mesh.egressGateway.helmRelease!, namespace: args.mesh.egressGateway.namespace } } : {}),
      }, { parent: this });
    }

    const objects = new Map<string, pulumi.CustomResource>();
    for (const planned of plan.objects) {
      const dependsOn: pulumi.Resource[] = planned.after.map((id) => {
        const resource = objects.get(id);
        if (!resource) throw new Error(`MeshDeployment: ${planned.id} waits for ${id}, which is not registered before it.`);
        return resource;
      });
      if (planned.afterControlPlane && this.controlPlane) dependsOn.push(this.controlPlane);
      const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn };
      if (planned.secret) {
        const { name: secretName, namespace } = planned.secret;
        const values = args.secrets![`${namespace}/${secretName}`]!;
        const stringData: Record<string, pulumi.Output<string>> = {};
        for (const key of planned.secret.keys) stringData[key] = pulumi.secret(values[key]!);
        objects.set(planned.id, new k8s.core.v1.Secret(`${name}/${namespace}/${secretName}`, {
          metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/managed-by': 'pulumi' } },
          type: 'Opaque',
          stringData,
        }, { ...childOpts, additionalSecretOutputs: ['data', 'stringData'] }));
      } else {
        objects.set(planned.id, registerManifest(planned.manifest!, `${name}/${resourceName(planned.manifest!)}`, childOpts));
      }
    }
    this.objects = objects;
    this.namespaces = plan.namespaces;
    this.findings = synthesis.findings;
    const findings: Record<Severity, number> = countBySeverity(synthesis.findings);
    this.registerOutputs({ environment: synthesis.environment, namespaces: plan.namespaces, objects: objects.size, findings });
  }
}

/** The mesh synthesized (validations, analyzer gate) and planned, or a `RunError` saying why not. */
function checked(name: string, args: MeshDeploymentArgs): { synthesis: MeshSynthesis; plan: DeploymentPlan } {
  const self = `MeshDeployment "${name}"`;
  try {
    const synthesis = args.mesh.synthesize();
    const gateway = args.mesh.ingressGateway;
    if (args.istio && gateway.helmRelease === undefined) {
      throw new ZeroTrustConfigError(self, 'istio',
        `mesh "${synthesis.environment}" binds to an ingress gateway not installed by Istio's Helm gateway chart (service account ${gateway.namespace}/${gateway.serviceAccount}), but this component installs Istio with Helm, whose gateway would have another identity.`,
        'give the Mesh ingressGateway: IngressGateway.helmChart({ release, namespace }), or leave istio out and keep the existing installation.');
    }
    const egress = args.mesh.egressGateway;
    if (args.istio && egress && egress.helmRelease === undefined) {
      throw new ZeroTrustConfigError(self, 'istio',
        `mesh "${synthesis.environment}" routes external hosts through an egress gateway not installed by Istio's Helm gateway chart (Service ${egress.namespace}/${egress.service}), but this component installs Istio with Helm and would not install that gateway.`,
        'give the Mesh egressGateway: EgressGateway.helmChart({ release, namespace }), or leave istio out and keep the existing installation.');
    }
    const plan = planDeployment(synthesis.manifests, synthesis.rootNamespace, {
      construct: self,
      installIstio: args.istio !== undefined,
      controlPlaneNamespaces: args.istio ? [...new Set([synthesis.rootNamespace, gateway.namespace, ...(egress ? [egress.namespace] : [])])] : [],
      secrets: new Map(Object.entries(args.secrets ?? {}).map(([ref, values]) => [ref, Object.keys(values).sort()])),
      existingSecrets: new Set(args.existingSecrets ?? []),
    });
    return { synthesis, plan };
  } catch (error) {
    if (error instanceof ZeroTrustConfigError || error instanceof MeshAnalysisError) {
      throw new pulumi.RunError(`${error.message}\nNothing was registered.`);
    }
    throw error;
  }
}
