import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { DeploymentPlan } from './deployment-plan.js';
import { IstioControlPlane, IstioControlPlaneArgs } from './istio-control-plane.js';
import { registerManifest } from './kubernetes-resource.js';

/** Props of `MeshDeployment`. */
export interface MeshDeploymentArgs {
  /** The objects to register, in order, with their dependencies (see `planDeployment`). */
  readonly plan: DeploymentPlan;
  /** The value of every planned Secret; must be a Pulumi secret so it stays encrypted in state. */
  readonly secretValue: pulumi.Output<string>;
  /**
   * Istio's control plane to install first.
   * @default - none: a platform team already runs Istio
   */
  readonly controlPlane?: IstioControlPlaneArgs;
}

/**
 * One environment's mesh as Pulumi resources: Istio's control plane (optional) and every object
 * `cdk8s synth` writes for the environment, registered unchanged under stable names, plus the
 * Secrets created from secret config. Children inherit the component's Kubernetes provider.
 */
export class MeshDeployment extends pulumi.ComponentResource {
  public readonly controlPlane?: IstioControlPlane;
  /** Every registered object by id (`Kind/namespace/name`), in registration order. */
  public readonly objects: ReadonlyMap<string, pulumi.CustomResource>;

  public constructor(name: string, args: MeshDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('zero-trust-mesh:index:MeshDeployment', name, {}, opts);
    if (args.controlPlane) this.controlPlane = new IstioControlPlane('istio', args.controlPlane, { parent: this });

    const objects = new Map<string, pulumi.CustomResource>();
    for (const planned of args.plan.objects) {
      const dependsOn: pulumi.Resource[] = planned.after.map((id) => {
        const resource = objects.get(id);
        if (!resource) throw new Error(`MeshDeployment: ${planned.id} waits for ${id}, which is not registered before it.`);
        return resource;
      });
      if (planned.afterControlPlane && this.controlPlane) dependsOn.push(this.controlPlane);
      const opts: pulumi.CustomResourceOptions = { parent: this, dependsOn };
      if (planned.secret) {
        const { name: secretName, namespace, key } = planned.secret;
        objects.set(planned.id, new k8s.core.v1.Secret(`${namespace}/${secretName}`, {
          metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/managed-by': 'pulumi' } },
          type: 'Opaque',
          stringData: { [key]: args.secretValue },
        }, { ...opts, additionalSecretOutputs: ['data', 'stringData'] }));
      } else if (planned.manifest) {
        objects.set(planned.id, registerManifest(planned.manifest, opts));
      } else {
        throw new Error(`MeshDeployment: ${planned.id} has neither a manifest nor a secret.`);
      }
    }
    this.objects = objects;
    this.registerOutputs({ objects: objects.size });
  }
}
