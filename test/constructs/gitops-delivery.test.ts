import { App, Chart, Testing } from 'cdk8s';
import { ArgoCdCluster, GitOpsDelivery, GitOpsDeliveryProps, GitOpsEnvironment, Mesh } from '../../constructs/index.js';
import type { Manifest } from '../../manifests/index.js';
import { crdErrors, crdFixtures } from '../helpers/crd-schema.js';
import { schemaErrors } from '../helpers/schema.js';
import { expectConfigError, find, findAll, K8sObject } from './util.js';

const SELF = 'GitOpsDelivery "delivery"';
const URL = 'https://github.com/acme/mesh-config.git';

/** Two environments on their own clusters, delivered by the tools the props ask for. */
function twoClusters(props: Partial<GitOpsDeliveryProps> = {}): GitOpsDeliveryProps {
  return {
    repository: { url: URL },
    directory: 'clusters',
    environments: [
      { name: 'staging', ...(props.argoCd ? { argoCdCluster: ArgoCdCluster.named('staging') } : {}), ...(props.flux ? { fluxKubeConfig: { secretName: 'staging-kubeconfig' } } : {}) },
      { name: 'prod', ...(props.argoCd ? { argoCdCluster: ArgoCdCluster.server('https://prod.k8s.example.com:6443') } : {}), ...(props.flux ? { fluxKubeConfig: { secretName: 'prod-kubeconfig', key: 'value.yaml' } } : {}) },
    ],
    ...props,
  };
}

function delivery(props: GitOpsDeliveryProps, id = 'delivery'): GitOpsDelivery {
  return new GitOpsDelivery(new App(), id, props);
}

function synth(props: GitOpsDeliveryProps): K8sObject[] {
  return delivery(props).toJson() as K8sObject[];
}

describe('GitOpsDelivery with Argo CD', () => {
  const objects = synth(twoClusters({ argoCd: {} }));

  test('one Application per environment, in the argocd namespace and the default project, and nothing else', () => {
    expect(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'argoproj.io/v1alpha1 Application argocd/staging',
      'argoproj.io/v1alpha1 Application argocd/prod',
    ]);
    for (const app of objects) expect(app.spec.project).toBe('default');
  });

  test('the source is the repository, its branch and the environment directory', () => {
    expect(find(objects, 'Application', 'staging').spec.source).toEqual({ repoURL: URL, targetRevision: 'main', path: 'clusters/staging' });
    expect(find(objects, 'Application', 'prod').spec.source).toEqual({ repoURL: URL, targetRevision: 'main', path: 'clusters/prod' });
  });

  test('the destination is the environment\'s cluster, by name or by server URL, and its namespace', () => {
    expect(find(objects, 'Application', 'staging').spec.destination).toEqual({ name: 'staging', namespace: 'default' });
    expect(find(objects, 'Application', 'prod').spec.destination).toEqual({ server: 'https://prod.k8s.example.com:6443', namespace: 'default' });
    const [app] = synth({ repository: { url: URL }, environments: [{ name: 'dev', namespace: 'mesh-apps' }], argoCd: {} });
    expect(app!.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'mesh-apps' });
  });

  test('prune and selfHeal are on by default: a revoked grant is deleted, a hand-edited policy reverted', () => {
    for (const app of objects) {
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    }
  });

  test.each([
    [{ prune: false }, { prune: false, selfHeal: true }],
    [{ selfHeal: false }, { prune: true, selfHeal: false }],
    [{ prune: false, selfHeal: false }, { prune: false, selfHeal: false }],
  ])('prune and selfHeal are turned off only explicitly: %j', (argoCd, automated) => {
    for (const app of synth(twoClusters({ argoCd }))) expect(app.spec.syncPolicy.automated).toEqual(automated);
  });

  test('server-side apply, no take-over of another Application\'s objects, retries; no CreateNamespace, no PruneLast', () => {
    const { syncPolicy } = find(objects, 'Application', 'prod').spec;
    expect(syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'FailOnSharedResource=true']);
    expect(syncPolicy.syncOptions.join()).not.toMatch(/CreateNamespace|PruneLast/);
    expect(syncPolicy.automated.allowEmpty).toBeUndefined();
    expect(syncPolicy.retry).toEqual({ limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } });
  });

  test('no resources-finalizer: deleting an Application does not cascade to the mesh\'s policies', () => {
    for (const app of objects) expect(app.metadata).not.toHaveProperty('finalizers');
  });

  test('each Application is labelled with its environment', () => {
    expect(find(objects, 'Application', 'prod').metadata.labels).toEqual({ 'zero-trust-mesh.io/environment': 'prod' });
  });

  test('namespace, project and branch can be set', () => {
    const [app] = synth({ repository: { url: URL, branch: 'release/prod' }, environments: [{ name: 'prod' }], argoCd: { namespace: 'gitops', project: 'mesh' } });
    expect(app!.metadata.namespace).toBe('gitops');
    expect(app!.spec.project).toBe('mesh');
    expect(app!.spec.source.targetRevision).toBe('release/prod');
  });
});

describe('GitOpsDelivery with Flux', () => {
  const objects = synth(twoClusters({ flux: {} }));

  test('one GitRepository for the repository, two Kustomizations per environment, all in flux-system', () => {
    expect(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'source.toolkit.fluxcd.io/v1 GitRepository flux-system/mesh-config',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/staging-security',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/staging-workloads',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/prod-security',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization flux-system/prod-workloads',
    ]);
  });

  test('the GitRepository follows the branch every minute, without credentials for a public https repository', () => {
    expect(find(objects, 'GitRepository', 'mesh-config').spec).toEqual({ url: URL, ref: { branch: 'main' }, interval: '1m' });
  });

  test('security: its directory, waits for its objects to be ready, prunes, and orphans them if deleted', () => {
    expect(find(objects, 'Kustomization', 'prod-security').spec).toEqual({
      path: './clusters/prod/security',
      sourceRef: { kind: 'GitRepository', name: 'mesh-config' },
      prune: true,
      wait: true,
      deletionPolicy: 'Orphan',
      interval: '5m',
      retryInterval: '1m',
      kubeConfig: { secretRef: { name: 'prod-kubeconfig', key: 'value.yaml' } },
    });
  });

  test('workloads: its directory, prunes, and depends on the security Kustomization of its environment', () => {
    expect(find(objects, 'Kustomization', 'prod-workloads').spec).toEqual({
      path: './clusters/prod/workloads',
      sourceRef: { kind: 'GitRepository', name: 'mesh-config' },
      prune: true,
      dependsOn: [{ name: 'prod-security' }],
      interval: '5m',
      retryInterval: '1m',
      kubeConfig: { secretRef: { name: 'prod-kubeconfig', key: 'value.yaml' } },
    });
    expect(find(objects, 'Kustomization', 'staging-workloads').spec.kubeConfig).toEqual({ secretRef: { name: 'staging-kubeconfig' } });
  });

  test('every workloads Kustomization waits for a security Kustomization of the same environment and cluster, which waits for its objects', () => {
    const kustomizations = findAll(objects, 'Kustomization');
    const workloads = kustomizations.filter((k) => k.spec.path.endsWith('/workloads'));
    expect(workloads).toHaveLength(2);
    for (const k of workloads) {
      const deps = k.spec.dependsOn as { name: string; namespace?: string }[];
      expect(deps).toHaveLength(1);
      const security = find(kustomizations, 'Kustomization', deps[0]!.name, deps[0]!.namespace ?? k.metadata.namespace);
      expect(security.spec.path).toBe(k.spec.path.replace(/\/workloads$/, '/security'));
      expect(security.spec.wait).toBe(true);
      expect(security.spec.kubeConfig).toEqual(k.spec.kubeConfig);
      expect(security.spec.dependsOn).toBeUndefined();
      expect(security.metadata.labels).toEqual(k.metadata.labels);
    }
  });

  test('every Kustomization reads the GitRepository, in its own namespace', () => {
    for (const k of findAll(objects, 'Kustomization')) {
      expect(find(objects, 'GitRepository', k.spec.sourceRef.name, k.metadata.namespace).spec.url).toBe(URL);
      expect(k.spec).not.toHaveProperty('targetNamespace');
    }
  });

  test('namespace, names, intervals, prune, credentials and commit verification can be set', () => {
    const set = synth({
      repository: { url: 'ssh://git@github.com/acme/mesh-config.git', branch: 'prod' },
      environments: [{ name: 'prod' }],
      flux: {
        namespace: 'gitops', sourceName: 'mesh', sourceInterval: '30s', interval: '10m', retryInterval: '2m',
        prune: false, secretName: 'mesh-deploy-key', verificationSecretName: 'mesh-signers',
      },
    });
    expect(find(set, 'GitRepository', 'mesh', 'gitops').spec).toEqual({
      url: 'ssh://git@github.com/acme/mesh-config.git',
      ref: { branch: 'prod' },
      interval: '30s',
      secretRef: { name: 'mesh-deploy-key' },
      verify: { mode: 'HEAD', secretRef: { name: 'mesh-signers' } },
    });
    for (const name of ['prod-security', 'prod-workloads']) {
      const k = find(set, 'Kustomization', name, 'gitops');
      expect(k.spec).toMatchObject({ sourceRef: { name: 'mesh' }, interval: '10m', retryInterval: '2m', prune: false });
      expect(k.spec).not.toHaveProperty('kubeConfig');
    }
  });

  test.each([
    ['https://github.com/acme/mesh-config.git', 'mesh-config'],
    ['https://gitlab.example.com/platform/Mesh_Config', 'mesh-config'],
    ['ssh://git@git.example.com:2222/srv/mesh.git/', 'mesh'],
  ])('the GitRepository is named after the repository: %s', (url, name) => {
    const objects = synth({ repository: { url }, environments: [{ name: 'dev' }], flux: { secretName: 'git' } });
    expect(findAll(objects, 'GitRepository').map((g) => g.metadata.name)).toEqual([name]);
  });
});

describe('GitOpsDelivery paths', () => {
  test.each([
    ['.', 'prod'], ['', 'prod'], ['./', 'prod'], ['clusters', 'clusters/prod'], ['./deploy/mesh/', 'deploy/mesh/prod'], ['a/./b', 'a/b/prod'],
  ])('directory %j puts environment prod in %j, for Argo CD and Flux alike', (directory, path) => {
    const d = delivery({ repository: { url: URL }, directory, environments: [{ name: 'prod', fluxKubeConfig: { secretName: 'prod' } }], argoCd: {}, flux: {} });
    expect(d.pathsOf('prod')).toEqual({ environment: path, security: `${path}/security`, workloads: `${path}/workloads` });
    const objects = d.toJson() as K8sObject[];
    expect(find(objects, 'Application', 'prod').spec.source.path).toBe(path);
    expect(find(objects, 'Kustomization', 'prod-security').spec.path).toBe(`./${path}/security`);
    expect(find(objects, 'Kustomization', 'prod-workloads').spec.path).toBe(`./${path}/workloads`);
  });
});

describe('GitOpsDelivery for MeshApp', () => {
  test('isGitOpsDelivery tells it from other charts, Meshes included', () => {
    const app = new App();
    const d = new GitOpsDelivery(app, 'delivery', { repository: { url: URL }, environments: [{ name: 'prod' }], flux: {} });
    expect(GitOpsDelivery.isGitOpsDelivery(d)).toBe(true);
    expect(GitOpsDelivery.isGitOpsDelivery(new Chart(app, 'other'))).toBe(false);
    expect(GitOpsDelivery.isGitOpsDelivery(new Mesh(app, 'prod'))).toBe(false);
    expect(Mesh.isMesh(d)).toBe(false);
    expect(Chart.isChart(d)).toBe(true);
    for (const x of [null, undefined, {}, 'delivery']) expect(GitOpsDelivery.isGitOpsDelivery(x)).toBe(false);
  });

  test('names its output directory, its environments and the sync wave of their security kustomizations', () => {
    const d = delivery(twoClusters({ argoCd: {} }));
    expect(GitOpsDelivery.OUTPUT_DIRECTORY).toBe('delivery');
    expect(d.outputDirectory).toBe('delivery');
    expect(d.environments).toEqual(['staging', 'prod']);
    expect(d.directory).toBe('clusters');
    expect(d.repositoryUrl).toBe(URL);
    expect(d.branch).toBe('main');
    expect(GitOpsDelivery.SECURITY_ANNOTATIONS).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
    expect(Object.isFrozen(GitOpsDelivery.SECURITY_ANNOTATIONS)).toBe(true);
  });

  test('synthesizes in a plain cdk8s App as in Testing.synth', () => {
    const app = Testing.app();
    const d = new GitOpsDelivery(app, 'delivery', twoClusters({ argoCd: {} }));
    expect(Testing.synth(d)).toEqual(d.toJson());
    expect(app.synthYaml()).toMatch(/kind: Application/);
  });
});

describe('GitOpsDelivery output is deterministic and stable', () => {
  const props = twoClusters({ argoCd: {}, flux: { verificationSecretName: 'signers' } });

  test('synthesizing the same config twice gives identical objects, byte for byte', () => {
    const first = JSON.stringify(delivery(props).toJson());
    const second = JSON.stringify(delivery(props).toJson());
    expect(second).toBe(first);
    const yaml = () => {
      const app = new App();
      new GitOpsDelivery(app, 'delivery', props);
      return app.synthYaml();
    };
    expect(yaml()).toBe(yaml());
  });

  test('object names come from the config only, not from the construct id (no hashes)', () => {
    const names = (id: string) => (delivery(props, id).toJson() as K8sObject[]).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names('delivery')).toEqual(names('gitops'));
    expect(names('delivery')).toEqual([
      'Application/staging', 'Application/prod',
      'GitRepository/mesh-config',
      'Kustomization/staging-security', 'Kustomization/staging-workloads', 'Kustomization/prod-security', 'Kustomization/prod-workloads',
    ]);
  });
});

describe('GitOpsDelivery objects are valid against the published CRDs', () => {
  const configs: [string, GitOpsDeliveryProps][] = [
    ['both tools, remote clusters', twoClusters({ argoCd: {}, flux: {} })],
    ['Argo CD, in-cluster', { repository: { url: URL }, environments: [{ name: 'dev' }], argoCd: { selfHeal: false } }],
    ['Flux, ssh with credentials and verification', {
      repository: { url: 'ssh://git@github.com/acme/mesh-config.git' }, environments: [{ name: 'dev' }],
      flux: { secretName: 'deploy-key', verificationSecretName: 'signers', prune: false },
    }],
    ['acknowledged plain http', {
      repository: { url: 'http://gitea.gitea.svc:3000/acme/mesh.git' }, environments: [{ name: 'lab' }], argoCd: {},
      acknowledgements: { plainHttpRepository: 'lab cluster, in-cluster Gitea without TLS' },
    }],
  ];

  test.each(configs)('%s', (_name, props) => {
    const objects = synth(props) as unknown as Manifest[];
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap((m) => schemaErrors(m).map((e) => `${m.kind}/${m.metadata.name}: ${e}`))).toEqual([]);
  });

  test('the check fails on what the API server would refuse or drop', () => {
    const [app] = synth(twoClusters({ argoCd: {} }));
    const crd = crdFixtures().get('argoproj.io/v1alpha1/Application')!;
    expect(crdErrors(app!, crd)).toEqual([]);
    const { destination: _destination, ...withoutDestination } = app!.spec;
    void _destination;
    expect(crdErrors({ ...app!, spec: withoutDestination }, crd)).toEqual(['spec.destination: required']);
    expect(crdErrors({ ...app!, spec: { ...app!.spec, syncPolicy: { automated: { prune: 'yes' } } } }, crd))
      .toEqual(['spec.syncPolicy.automated.prune: string where boolean is expected']);
    expect(crdErrors({ ...app!, spec: { ...app!.spec, sourceRepo: URL } }, crd)).toEqual(['spec.sourceRepo: unknown field']);
    expect(crdErrors({ ...app!, metadata: { name: 'Prod', namespace: 'argocd' } }, crd)).toEqual(['metadata.name: "Prod" is not a DNS-1123 subdomain']);

    const flux = synth(twoClusters({ flux: {} }));
    const kustomization = find(flux, 'Kustomization', 'prod-workloads');
    const kcrd = crdFixtures().get('kustomize.toolkit.fluxcd.io/v1/Kustomization')!;
    expect(crdErrors(kustomization, kcrd)).toEqual([]);
    expect(crdErrors({ ...kustomization, spec: { ...kustomization.spec, sourceRef: { kind: 'GitRepo', name: 'x' } } }, kcrd))
      .toEqual(['spec.sourceRef.kind: "GitRepo" is not one of ["OCIRepository","GitRepository","Bucket","ExternalArtifact"]']);
    expect(crdErrors({ ...kustomization, spec: { ...kustomization.spec, interval: '5 minutes' } }, kcrd))
      .toEqual(['spec.interval: "5 minutes" does not match ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$']);
    const { sourceRef: _sourceRef, ...withoutSource } = kustomization.spec;
    void _sourceRef;
    expect(crdErrors({ ...kustomization, spec: withoutSource }, kcrd)).toEqual(['spec.sourceRef: required']);
    const gcrd = crdFixtures().get('source.toolkit.fluxcd.io/v1/GitRepository')!;
    const repo = find(flux, 'GitRepository', 'mesh-config');
    expect(crdErrors({ ...repo, spec: { ...repo.spec, url: 'git@github.com:acme/mesh.git' } }, gcrd)).toEqual(['spec.url: "git@github.com:acme/mesh.git" does not match ^(http|https|ssh)://.*$']);
  });
});

describe('GitOpsDelivery refuses insecure or broken config', () => {
  const base: GitOpsDeliveryProps = { repository: { url: URL }, environments: [{ name: 'prod' }], argoCd: {} };
  const refused = (props: Partial<GitOpsDeliveryProps>) => () => delivery({ ...base, ...props });

  test('neither Argo CD nor Flux', () => {
    expectConfigError(() => delivery({ repository: { url: URL }, environments: [{ name: 'prod' }] }), SELF, 'argoCd, flux',
      /nothing would deliver the environments\. Fix: give argoCd: \{\} for Argo CD Applications, flux: \{\} for Flux Kustomizations, or both\./);
  });

  test('a plain http repository, unless acknowledged with a reason, recorded on the objects that fetch it', () => {
    const http = 'http://gitea.gitea.svc:3000/acme/mesh.git';
    expectConfigError(refused({ repository: { url: http } }), SELF, 'repository.url',
      /plain http: the manifests, security policy included, would travel unauthenticated.*Fix: use "https:\/\/gitea\.gitea\.svc:3000\/acme\/mesh\.git" or an ssh:\/\/ URL\. If it is truly intended, acknowledge it: acknowledgements\.plainHttpRepository: "<reason>"\./);
    expectConfigError(refused({ repository: { url: http }, acknowledgements: { plainHttpRepository: ' ' } }), SELF, 'acknowledgements.plainHttpRepository', /needs a reason/);
    expectConfigError(refused({ acknowledgements: { plaintext: 'x' } as never }), SELF, 'acknowledgements.plaintext', /Fix: use one of plainHttpRepository\./);
    const objects = synth({
      ...base, repository: { url: http }, environments: [{ name: 'lab', fluxKubeConfig: { secretName: 'lab' } }], flux: {},
      acknowledgements: { plainHttpRepository: 'lab only' },
    });
    expect(objects.map((o) => `${o.kind}: ${o.metadata.annotations?.[GitOpsDelivery.PLAIN_HTTP_ACKNOWLEDGEMENT]}`)).toEqual([
      'Application: lab only', 'GitRepository: lab only', 'Kustomization: undefined', 'Kustomization: undefined',
    ]);
    expect(synth(base)[0]!.metadata.annotations).toBeUndefined();
  });

  test.each([
    ['https://deploy:ghp_secret@github.com/acme/mesh.git'],
    ['https://ghp_secret@github.com/acme/mesh.git'],
    ['ssh://git:secret@github.com/acme/mesh.git'],
  ])('credentials in the URL: %s', (url) => {
    const error = expectConfigError(refused({ repository: { url } }), SELF, 'repository.url',
      /carries credentials.*Fix: remove them from the URL and give them as a Secret: flux\.secretName for Flux, a repository credential in Argo CD\./);
    expect(error.message).not.toContain('secret@');
  });

  test.each([
    ['git@github.com:acme/mesh.git', /SCP-like address.*Fix: write it as a URL: "ssh:\/\/git@github\.com\/acme\/mesh\.git"\./],
    ['git://github.com/acme/mesh.git', /git:\/\/ protocol.*Fix: use "https:\/\/github\.com\/acme\/mesh\.git" or an ssh:\/\/ URL\./],
    ['file:///srv/git/mesh.git', /is not an https:\/\/ or ssh:\/\/ URL/],
    ['github.com/acme/mesh', /is not a URL/],
    ['https://github.com/', /names no repository/],
    ['https://github.com/acme/mesh.git?ref=main', /query or fragment.*Fix: give the plain clone URL, e\.g\. "https:\/\/github\.com\/acme\/mesh\.git"\./],
    [' https://github.com/acme/mesh.git', /leading or trailing whitespace/],
  ])('a repository URL that is not a secure clone URL: %j', (url, message) => {
    expectConfigError(refused({ repository: { url } }), SELF, 'repository.url', message);
  });

  test('an ssh repository for Flux without the Secret holding its identity and known_hosts; Argo CD keeps its own credentials', () => {
    const ssh = { url: 'ssh://git@github.com/acme/mesh.git' };
    expectConfigError(refused({ repository: ssh, argoCd: undefined, flux: {} }), SELF, 'flux.secretName', /without an SSH identity.*Fix: create a Secret/);
    expect(() => delivery({ ...base, repository: ssh })).not.toThrow();
  });

  test.each([
    ['feature branch'], ['refs/heads/main'], ['HEAD'], ['-main'], ['a..b'], ['main/'], ['main.lock'], [''],
  ])('a branch that is not a branch name: %j', (branch) => {
    expectConfigError(refused({ repository: { url: URL, branch } }), SELF, 'repository.branch', /Fix: give/);
  });

  test('a full ref is answered with the branch it names', () => {
    expectConfigError(refused({ repository: { url: URL, branch: 'refs/heads/main' } }), SELF, 'repository.branch', /Fix: give the branch itself: "main"\./);
  });

  test.each([['/srv/mesh'], ['../mesh'], ['a/../../b'], ['a//b'], ['deploy\\mesh']])('a directory outside the repository or not a clean relative path: %j', (directory) => {
    expectConfigError(refused({ directory }), SELF, 'directory', /Fix: give the path from the repository root/);
  });

  test('no environments', () => {
    expectConfigError(refused({ environments: [] }), SELF, 'environments', /is empty.*Fix: list each environment/);
  });

  test.each([['Prod', 'prod'], ['prod_eu', 'prod-eu'], ['a'.repeat(64), 'a'.repeat(63)]])('an environment name that is not a DNS label: %j', (name, suggestion) => {
    expectConfigError(refused({ environments: [{ name }] }), SELF, 'environments[0].name', new RegExp(`not a valid DNS-1123 label.*Fix: use a name like "${suggestion}"`));
  });

  test('an environment named like the delivery directory', () => {
    expectConfigError(refused({ environments: [{ name: 'delivery' }] }), SELF, 'environments[0].name', /the directory the delivery objects are written to/);
  });

  test('an environment listed twice', () => {
    expectConfigError(refused({ environments: [{ name: 'prod', argoCdCluster: ArgoCdCluster.named('a') }, { name: 'staging', argoCdCluster: ArgoCdCluster.named('b') }, { name: 'prod', argoCdCluster: ArgoCdCluster.named('c') }] }),
      SELF, 'environments[2].name', /environment "prod" is already listed \(environments\[0\]\)\. Fix: list each environment once\./);
  });

  test('two environments on one cluster would overwrite each other\'s mesh-wide policy', () => {
    const message = /environments\[0\] already deploys to .*overwrite each other's mesh-wide policy.*Fix: give each environment its own cluster/;
    expectConfigError(refused({ environments: [{ name: 'staging' }, { name: 'prod' }] }), SELF, 'environments[1].argoCdCluster', message);
    expectConfigError(refused({ environments: [{ name: 'staging' }, { name: 'prod', argoCdCluster: ArgoCdCluster.named('in-cluster') }] }), SELF, 'environments[1].argoCdCluster', message);
    expectConfigError(refused({ environments: [{ name: 'staging', argoCdCluster: ArgoCdCluster.server('https://k8s.example.com') }, { name: 'prod', argoCdCluster: ArgoCdCluster.server('https://k8s.example.com') }] }),
      SELF, 'environments[1].argoCdCluster', message);
    expectConfigError(refused({ argoCd: undefined, flux: {}, environments: [{ name: 'staging' }, { name: 'prod' }] }), SELF, 'environments[1].fluxKubeConfig', message);
    expectConfigError(refused({ argoCd: undefined, flux: {}, environments: [{ name: 'staging', fluxKubeConfig: { secretName: 'k' } }, { name: 'prod', fluxKubeConfig: { secretName: 'k' } }] }),
      SELF, 'environments[1].fluxKubeConfig', message);
  });

  test('Argo CD and Flux both delivering one environment to the cluster they run in', () => {
    expectConfigError(refused({ flux: {} }), SELF, 'environments[0].argoCdCluster', /both Argo CD and Flux would deliver environment "prod".*Fix: deliver each environment with one tool/);
    expect(() => delivery({ ...base, flux: {}, environments: [{ name: 'prod', fluxKubeConfig: { secretName: 'prod' } }] })).not.toThrow();
  });

  test('a destination for a tool that is not emitted', () => {
    expectConfigError(refused({ environments: [{ name: 'prod', fluxKubeConfig: { secretName: 'prod' } }] }), SELF, 'environments[0].fluxKubeConfig', /flux is not.*Fix: give flux: \{\}/);
    expectConfigError(refused({ argoCd: undefined, flux: {}, environments: [{ name: 'prod', argoCdCluster: ArgoCdCluster.named('prod') }] }), SELF, 'environments[0].argoCdCluster', /argoCd is not.*Fix: give argoCd: \{\}/);
  });

  test.each([
    [ArgoCdCluster.server('http://k8s.example.com'), /is not an https:\/\/ API server URL/],
    [ArgoCdCluster.server('https://admin:pw@k8s.example.com'), /without credentials/],
    [ArgoCdCluster.server('k8s.example.com'), /is not an https:\/\/ API server URL/],
    [ArgoCdCluster.named(''), /is not a cluster name/],
    [ArgoCdCluster.named(' prod'), /is not a cluster name/],
  ])('an Argo CD cluster that is not a registered cluster reached over https: %#', (argoCdCluster, message) => {
    expectConfigError(refused({ environments: [{ name: 'prod', argoCdCluster }] }), SELF, 'environments[0].argoCdCluster', message);
  });

  test('bad names, namespaces, Secrets and intervals name their field', () => {
    expectConfigError(refused({ argoCd: { namespace: 'Argo CD' } }), SELF, 'argoCd.namespace', /Fix: use a name like "argo-cd"/);
    expectConfigError(refused({ argoCd: { project: 'Mesh Project' } }), SELF, 'argoCd.project', /not a valid DNS-1123 subdomain/);
    expectConfigError(refused({ environments: [{ name: 'prod', namespace: 'Apps' }] }), SELF, 'environments[0].namespace', /Fix: use a name like "apps"/);
    expectConfigError(refused({ argoCd: { prune: 'false' as never } }), SELF, 'argoCd.prune', /"false" is not a boolean/);
    const flux = (f: GitOpsDeliveryProps['flux'], environments: GitOpsEnvironment[] = [{ name: 'prod', fluxKubeConfig: { secretName: 'prod' } }]) => refused({ argoCd: undefined, flux: f, environments });
    expectConfigError(flux({ namespace: 'flux_system' }), SELF, 'flux.namespace', /Fix: use a name like "flux-system"/);
    expectConfigError(flux({ interval: '5 minutes' }), SELF, 'flux.interval', /not a Flux duration\. Fix: write a number and a unit/);
    expectConfigError(flux({ sourceInterval: '1d' }), SELF, 'flux.sourceInterval', /not a Flux duration/);
    expectConfigError(flux({ retryInterval: '' }), SELF, 'flux.retryInterval', /not a Flux duration/);
    expectConfigError(flux({ secretName: 'Deploy Key' }), SELF, 'flux.secretName', /not a valid DNS-1123 subdomain/);
    expectConfigError(flux({ verificationSecretName: 'Signers!' }), SELF, 'flux.verificationSecretName', /not a valid DNS-1123 subdomain/);
    expectConfigError(flux({}, [{ name: 'prod', fluxKubeConfig: { secretName: 'Prod' } }]), SELF, 'environments[0].fluxKubeConfig.secretName', /not a valid DNS-1123 subdomain/);
    expectConfigError(flux({}, [{ name: 'prod', fluxKubeConfig: { secretName: 'prod', key: 'kube config' } }]), SELF, 'environments[0].fluxKubeConfig.key', /not a valid Secret key/);
  });

  test('a GitRepository that would take the place of flux bootstrap\'s own', () => {
    const env = [{ name: 'prod', fluxKubeConfig: { secretName: 'prod' } }];
    expectConfigError(refused({ argoCd: undefined, flux: {}, environments: env, repository: { url: 'https://github.com/acme/flux-system.git' } }), SELF, 'repository.url',
      /"flux-system" is the GitRepository `flux bootstrap` creates.*Fix: set flux\.sourceName to another name/);
    expectConfigError(refused({ argoCd: undefined, flux: { sourceName: 'flux-system' }, environments: env }), SELF, 'flux.sourceName', /flux bootstrap/);
    expect(find(synth({ ...base, argoCd: undefined, flux: { sourceName: 'fleet' }, environments: env, repository: { url: 'https://github.com/acme/flux-system.git' } }), 'GitRepository', 'fleet')).toBeDefined();
  });

  test('the error names the construct by its id', () => {
    expectConfigError(() => delivery({ ...base, environments: [] }, 'gitops'), 'GitOpsDelivery "gitops"', 'environments', /is empty/);
  });
});
