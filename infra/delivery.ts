// How the reference mesh's environments are delivered from a GitOps repository: one Argo CD
// Application and two Flux Kustomizations (security, then workloads) per environment. The
// repository is configuration, not code: ZT_GITOPS_REPOSITORY, ZT_GITOPS_BRANCH and
// ZT_GITOPS_DIRECTORY (where in it `zt-mesh synth --out` writes) override the defaults.
import type { Construct } from 'constructs';
import { ArgoCdCluster, GitOpsDelivery } from 'zero-trust-mesh';
import type { EnvironmentConfig } from './environment.js';

/** The GitOps repository the reference mesh is synthesized into. */
export interface GitOpsConfig {
  readonly repositoryUrl: string;
  readonly branch: string;
  /** Where in the repository the environments' directories are. */
  readonly directory: string;
}

/** The defaults, overridden by the ZT_GITOPS_* variables. */
export function gitOpsConfig(env: NodeJS.ProcessEnv = process.env): GitOpsConfig {
  return {
    repositoryUrl: env.ZT_GITOPS_REPOSITORY || 'https://git.example.com/platform/mesh-gitops.git',
    branch: env.ZT_GITOPS_BRANCH || 'main',
    directory: env.ZT_GITOPS_DIRECTORY || 'mesh',
  };
}

/**
 * The delivery of `environments`: each to its own cluster (an environment's mesh-wide objects
 * would overwrite another's on a shared one), registered in Argo CD under the environment's name
 * and known to Flux through the kubeconfig Secret `<env>-kubeconfig`.
 */
export function defineDelivery(scope: Construct, environments: readonly EnvironmentConfig[], config: GitOpsConfig = gitOpsConfig()): GitOpsDelivery {
  return new GitOpsDelivery(scope, 'delivery', {
    repository: { url: config.repositoryUrl, branch: config.branch },
    directory: config.directory,
    environments: environments.map((e) => ({
      name: e.name,
      argoCdCluster: ArgoCdCluster.named(e.name),
      fluxKubeConfig: { secretName: `${e.name}-kubeconfig` },
    })),
    argoCd: {},
    flux: {},
  });
}
