// The reference mesh's delivery: configuration picks the repository, never code, and every
// environment is delivered security first, to its own cluster.
import { App } from 'cdk8s';
import { defineDelivery, gitOpsConfig } from '../../infra/delivery.js';
import { ENVIRONMENTS } from '../../infra/environment.js';

const ALL = Object.values(ENVIRONMENTS);
type Obj = { kind: string; metadata: { name: string }; spec: Record<string, any> };

test('the repository comes from ZT_GITOPS_* variables, with defaults', () => {
  expect(gitOpsConfig({})).toEqual({ repositoryUrl: 'https://git.example.com/platform/mesh-gitops.git', branch: 'main', directory: 'mesh' });
  expect(gitOpsConfig({ ZT_GITOPS_REPOSITORY: 'https://github.com/acme/gitops.git', ZT_GITOPS_BRANCH: 'release', ZT_GITOPS_DIRECTORY: 'clusters/mesh' }))
    .toEqual({ repositoryUrl: 'https://github.com/acme/gitops.git', branch: 'release', directory: 'clusters/mesh' });
});

test('each environment: an Argo CD Application on its directory and cluster, Flux security before workloads', () => {
  const objects = defineDelivery(new App(), ALL, { repositoryUrl: 'https://github.com/acme/gitops.git', branch: 'main', directory: 'mesh' }).toJson() as Obj[];
  for (const env of ALL) {
    const app = objects.find((o) => o.kind === 'Application' && o.metadata.name === env.name)!;
    expect(app.spec.source).toMatchObject({ repoURL: 'https://github.com/acme/gitops.git', targetRevision: 'main', path: `mesh/${env.name}` });
    expect(app.spec.destination.name).toBe(env.name);
    expect(app.spec.syncPolicy.automated).toMatchObject({ prune: true, selfHeal: true });
    const security = objects.find((o) => o.kind === 'Kustomization' && o.metadata.name === `${env.name}-security`)!;
    const workloads = objects.find((o) => o.kind === 'Kustomization' && o.metadata.name === `${env.name}-workloads`)!;
    expect([security.spec.path, security.spec.wait, security.spec.kubeConfig.secretRef.name]).toEqual([`./mesh/${env.name}/security`, true, `${env.name}-kubeconfig`]);
    expect([workloads.spec.path, workloads.spec.dependsOn]).toEqual([`./mesh/${env.name}/workloads`, [{ name: `${env.name}-security` }]]);
  }
});
