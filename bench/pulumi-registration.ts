import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { ENVIRONMENTS } from '../infra/environment.js';
import type { Manifest } from '../manifests/index.js';
import { planDeployment } from '../stacks/deployment-plan.js';
import { registerManifest } from '../stacks/kubernetes-resource.js';
import { MeshDeployment } from '../stacks/mesh-deployment.js';

/** Pulumi under its mocks: the engine side costs nothing, so what is measured is the program's. */
async function mocked(stack: string, register: (provider: k8s.Provider) => void): Promise<void> {
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
  }, 'zero-trust-mesh', stack, false);
  register(new k8s.Provider('bench', {}));
  await pulumi.runtime.disconnect(); // drains every outstanding registration
}

/** The baseline: each object registered with its resource class, no plan, no dependencies. */
export function registerBare(manifests: readonly Manifest[]): Promise<void> {
  return mocked('bare', (provider) => {
    for (const m of manifests) registerManifest(m, { provider });
  });
}

/** What `pulumi up` does with them: plan the order, then MeshDeployment (control plane skipped). */
export function registerWithProgram(manifests: readonly Manifest[]): Promise<void> {
  return mocked('program', (provider) => {
    const synth = { environment: { ...ENVIRONMENTS.prod!, name: 'synthetic' }, rootNamespace: 'istio-system', manifests };
    const plan = planDeployment(synth, { installIstio: false, controlPlaneNamespaces: [] });
    new MeshDeployment('synthetic', { plan, secretValue: pulumi.secret('unused-in-the-synthetic-mesh') }, { providers: [provider] });
  });
}
