import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Mesh } from 'zero-trust-mesh';
import { MeshDeployment } from 'zero-trust-mesh/pulumi';
import type { Manifest } from '../manifests/index.js';
import { registerManifest, resourceName } from '../pulumi/kubernetes-resource.js';

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
    for (const m of manifests) registerManifest(m, resourceName(m), { provider });
  });
}

/**
 * What `pulumi up` does with the mesh: the package's MeshDeployment (control plane skipped),
 * which synthesizes the mesh, runs the analyzer gate, plans the order and registers.
 */
export function registerWithProgram(mesh: Mesh): Promise<void> {
  return mocked('program', (provider) => {
    new MeshDeployment('synthetic', { mesh }, { providers: [provider] });
  });
}
