import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, ApplicationSpecSyncPolicy } from '../imports/argoproj.io.js';
import { GitRepository, GitRepositorySpecVerifyMode } from '../imports/source.toolkit.fluxcd.io.js';
import { Kustomization, KustomizationSpecDeletionPolicy, KustomizationSpecSourceRefKind } from '../imports/kustomize.toolkit.fluxcd.io.js';
import { checkDnsLabel, checkDnsSubdomain, suggestDnsLabel, ZeroTrustConfigError } from './errors.js';
import { ManifestObject } from './manifest-object.js';

const GITOPS_DELIVERY_BRAND = Symbol.for('zero-trust-mesh.GitOpsDelivery');

/** The API server URL of the cluster Argo CD runs in, as Argo CD registers it. */
const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
/** The name Argo CD gives the cluster it runs in. */
const IN_CLUSTER_NAME = 'in-cluster';

/** A Flux duration (`metav1.Duration` as the CRDs' pattern admits it), e.g. `1m`, `1h30m`. */
const FLUX_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

/** The label every delivery object carries, with the environment it delivers. */
const ENVIRONMENT_LABEL = 'zero-trust-mesh.io/environment';

/** Where the synthesized manifests live: one Git repository and branch. */
export interface GitOpsRepository {
  /**
   * The clone URL: `https://…`, or `ssh://…` (write an SCP-like address `git@host:org/repo.git`
   * as `ssh://git@host/org/repo.git`, the one form both Argo CD and Flux accept). Credentials
   * never go in the URL: they would be committed to Git and stored in cluster objects anyone
   * with read access sees. A plain `http://` URL is refused unless acknowledged
   * (`acknowledgements.plainHttpRepository`).
   */
  readonly url: string;
  /**
   * The branch the controllers follow.
   * @default 'main'
   */
  readonly branch?: string;
}

/**
 * The cluster an Argo CD Application deploys to, as registered in Argo CD: the cluster Argo CD
 * runs in, or another one by its API server URL or its name.
 */
export class ArgoCdCluster {
  /** The cluster Argo CD runs in (`https://kubernetes.default.svc`). */
  public static inCluster(): ArgoCdCluster {
    return new ArgoCdCluster(IN_CLUSTER_SERVER, undefined);
  }

  /** A cluster registered in Argo CD, by its API server URL (`https://…`). */
  public static server(url: string): ArgoCdCluster {
    return new ArgoCdCluster(url, undefined);
  }

  /** A cluster registered in Argo CD, by the name it was registered with. */
  public static named(name: string): ArgoCdCluster {
    return new ArgoCdCluster(undefined, name);
  }

  private constructor(
    /** The API server URL, when the cluster is given by URL. */
    public readonly server: string | undefined,
    /** The registered name, when the cluster is given by name. */
    public readonly name: string | undefined,
  ) {}
}

/** A Secret holding the kubeconfig Flux uses to apply to a remote cluster. */
export interface FluxKubeConfig {
  /** The Secret's name, in the Flux namespace (`flux.namespace`). */
  readonly secretName: string;
  /**
   * The Secret's key that holds the kubeconfig.
   * @default - Flux's default key (`value`, or `value.yaml`)
   */
  readonly key?: string;
}

/**
 * One environment, i.e. one `Mesh` (its `environment`): MeshApp's synth writes it to
 * `<directory>/<name>/`, and the controllers apply it to the cluster given here.
 */
export interface GitOpsEnvironment {
  /**
   * The environment's name, as `Mesh.environment`; also its directory and the name of its delivery
   * objects. A DNS-1123 label.
   */
  readonly name: string;
  /**
   * The cluster the environment's Argo CD Application deploys to. Only with `argoCd`.
   * @default ArgoCdCluster.inCluster()
   */
  readonly argoCdCluster?: ArgoCdCluster;
  /**
   * The kubeconfig Secret Flux applies the environment's Kustomizations with, for a remote
   * cluster. Only with `flux`.
   * @default - the cluster Flux runs in
   */
  readonly fluxKubeConfig?: FluxKubeConfig;
  /**
   * The Argo CD Application's destination namespace: where an object without
   * `metadata.namespace` would land, and the namespace an Argo CD project must allow as a
   * destination. Every object a Mesh writes names its namespace, so nothing lands here unless
   * added by hand. Flux gets no such default: its `targetNamespace` would move every object of
   * the environment into one namespace.
   * @default 'default'
   */
  readonly namespace?: string;
}

/** Argo CD: one Application per environment. */
export interface ArgoCdDelivery {
  /**
   * The namespace Argo CD runs in; the Applications are created there.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * The Argo CD project (AppProject) of the Applications. Argo CD's `default` project lets an
   * Application deploy anything anywhere; a project that allows only this repository and the
   * environments' clusters limits what a compromised repository can reach.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * Delete from the cluster what is no longer in the repository. In a zero-trust mesh a grant
   * removed from the code must disappear from the cluster: without prune, a revoked
   * AuthorizationPolicy rule stays in force, only marked out of sync.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * Revert changes made in the cluster (kubectl edit, another controller) to what the repository
   * holds. Without it, a hand-edited AuthorizationPolicy that opens a workload stays in force
   * until the next commit touches it.
   * @default true
   */
  readonly selfHeal?: boolean;
}

/** Flux: one GitRepository, and two Kustomizations per environment. */
export interface FluxDelivery {
  /**
   * The namespace the Flux controllers watch; the GitRepository and the Kustomizations are
   * created there (and the kubeconfig Secrets must be there).
   * @default 'flux-system'
   */
  readonly namespace?: string;
  /**
   * The name of the GitRepository.
   * @default - the repository's name from its URL (`mesh-config` for `https://host/org/mesh-config.git`)
   */
  readonly sourceName?: string;
  /**
   * How often Flux fetches the branch: the longest a pushed commit, a revoked grant
   * included, waits before it is applied (a webhook Receiver makes it immediate).
   * @default '1m'
   */
  readonly sourceInterval?: string;
  /**
   * How often the Kustomizations reconcile when nothing changed in the repository. A new
   * revision is applied as soon as it is fetched, whatever this interval; what this interval
   * bounds is drift: Flux reverts a hand edit (an AuthorizationPolicy changed with kubectl)
   * only when it reconciles. Each reconciliation is one server-side dry run and apply of the
   * environment.
   * @default '5m'
   */
  readonly interval?: string;
  /**
   * How soon a failed reconciliation is retried. The workloads wait for their security
   * Kustomization, so a failure there (an admission webhook not yet up, a CRD not yet installed)
   * should be retried well before the next `interval`.
   * @default '1m'
   */
  readonly retryInterval?: string;
  /**
   * Delete from the cluster what is no longer in the repository (see `ArgoCdDelivery.prune`).
   * Flux always reverts drift; there is no switch for it.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * A Secret (in the Flux namespace) with the credentials to clone the repository: an SSH
   * identity and `known_hosts` for an `ssh://` URL, a token for a private `https://` one.
   * Required for `ssh://`.
   * @default - none: the repository is public
   */
  readonly secretName?: string;
  /**
   * A Secret (in the Flux namespace) with the public keys (PGP `*.asc`, SSH `*.sshpub`) of the
   * people and bots allowed to commit: Flux then applies a revision only when its HEAD commit is
   * signed by one of them, so a push with stolen Git credentials alone cannot change the mesh.
   * @default - commits are not verified
   */
  readonly verificationSecretName?: string;
}

/** Insecure settings the delivery accepts on purpose, each with its reason. */
export interface GitOpsDeliveryAcknowledgements {
  /**
   * Allow a plain `http://` repository URL. The manifests, security policy included, then
   * travel unauthenticated and unencrypted: anyone on the path can make the controllers apply
   * their own AuthorizationPolicy. Recorded as the annotation
   * `zero-trust-mesh.io/acknowledged-plain-http-repository` on the objects that fetch it.
   * @default - refused
   */
  readonly plainHttpRepository?: string;
}

/** Props of the GitOps delivery objects. */
export interface GitOpsDeliveryProps {
  /** The repository MeshApp's synth output is committed to. */
  readonly repository: GitOpsRepository;
  /**
   * Where in the repository synth writes: each environment is in `<directory>/<name>/`, with its
   * `security/` and `workloads/` kustomizations. A relative path, `.` for the repository root.
   * @default '.'
   */
  readonly directory?: string;
  /** The environments to deliver, each once. */
  readonly environments: readonly GitOpsEnvironment[];
  /**
   * Emit Argo CD Applications. Give `argoCd`, `flux` or both (both only for clusters that are
   * not reconciled by both: two controllers applying one object fight over it).
   * @default - no Argo CD objects
   */
  readonly argoCd?: ArgoCdDelivery;
  /**
   * Emit Flux GitRepository and Kustomizations.
   * @default - no Flux objects
   */
  readonly flux?: FluxDelivery;
  /**
   * Insecure settings accepted on purpose, each with its reason.
   * @default - none
   */
  readonly acknowledgements?: GitOpsDeliveryAcknowledgements;
}

/** The paths in the repository the delivery objects point at, for one environment. */
export interface GitOpsEnvironmentPaths {
  /** `<directory>/<env>`: its kustomization lists `security` then `workloads` (Argo CD's source). */
  readonly environment: string;
  /** `<directory>/<env>/security`: Namespaces, ServiceAccounts and Istio security policy. */
  readonly security: string;
  /** `<directory>/<env>/workloads`: everything else. */
  readonly workloads: string;
}

/**
 * The GitOps objects that deliver a mesh's synthesized environments from their repository to
 * their clusters, for Argo CD, Flux or both. For each environment, the security objects
 * (Namespaces, ServiceAccounts, PeerAuthentication, RequestAuthentication, AuthorizationPolicy)
 * are in place before any workload starts:
 * - Argo CD: one Application on `<directory>/<env>`, whose `security/` kustomization carries the
 *   sync wave `-1` (`GitOpsDelivery.SECURITY_ANNOTATIONS`), applied and healthy before wave 0;
 * - Flux: a Kustomization `<env>-security` that waits for its objects to be ready, and
 *   `<env>-workloads`, which depends on it.
 * Both prune what the repository no longer holds and revert hand edits by default, so the
 * cluster's policy is the reviewed code's.
 *
 * A chart of its own, not under a Mesh: it belongs in `GitOpsDelivery.OUTPUT_DIRECTORY`, beside
 * the environments' directories (`isGitOpsDelivery` tells it apart from the app's Meshes). Its
 * objects are applied once to bootstrap (or by a parent Application or Kustomization);
 * everything else then follows the repository.
 */
export class GitOpsDelivery extends Chart {
  /** The directory, beside the environments' directories, this chart is written to. */
  public static readonly OUTPUT_DIRECTORY = 'delivery';

  /**
   * The annotations the `security/` kustomization of each environment gives its objects, so that
   * Argo CD applies them (and waits for them to be healthy) before the workloads, in wave 0.
   */
  public static readonly SECURITY_ANNOTATIONS: Readonly<Record<string, string>> = Object.freeze({ 'argocd.argoproj.io/sync-wave': '-1' });

  /** The annotation that records an acknowledged plain-http repository. */
  public static readonly PLAIN_HTTP_ACKNOWLEDGEMENT = 'zero-trust-mesh.io/acknowledged-plain-http-repository';

  /**
   * True for a GitOpsDelivery. (`instanceof` would not do: cdk8s's Chart defines
   * `Symbol.hasInstance`, so every Chart is an `instanceof` of every Chart subclass.)
   */
  public static isGitOpsDelivery(x: unknown): x is GitOpsDelivery {
    return typeof x === 'object' && x !== null && GITOPS_DELIVERY_BRAND in x;
  }

  /** `GitOpsDelivery.OUTPUT_DIRECTORY`, the directory this chart is written to. */
  public readonly outputDirectory: string = GitOpsDelivery.OUTPUT_DIRECTORY;
  /** The repository's clone URL. */
  public readonly repositoryUrl: string;
  /** The branch the controllers follow. */
  public readonly branch: string;
  /** Where in the repository the environments are, normalized: `''` for the root. */
  public readonly directory: string;
  /** The environments' names, in the order given. */
  public readonly environments: readonly string[];

  public constructor(scope: Construct, id: string, props: GitOpsDeliveryProps) {
    super(scope, id, { disableResourceNameHashes: true });
    Object.defineProperty(this, GITOPS_DELIVERY_BRAND, { value: true });
    const self = `GitOpsDelivery "${id}"`;

    if (!props.argoCd && !props.flux) {
      throw new ZeroTrustConfigError(self, 'argoCd, flux', 'neither is given, so nothing would deliver the environments.',
        'give argoCd: {} for Argo CD Applications, flux: {} for Flux Kustomizations, or both.');
    }
    const ack = checkAcknowledgements(props.acknowledgements, self);
    const repo = checkRepository(props.repository, props.flux, ack, self);
    this.repositoryUrl = repo.url;
    this.branch = repo.branch;
    this.directory = normalizeDirectory(props.directory ?? '.', self);
    const environments = checkEnvironments(props, self);
    this.environments = environments.map((e) => e.name);
    const annotations = repo.plainHttp ? { [GitOpsDelivery.PLAIN_HTTP_ACKNOWLEDGEMENT]: repo.plainHttp } : undefined;

    if (props.argoCd) this.argoCdApplications(props.argoCd, environments, annotations, self);
    if (props.flux) this.fluxKustomizations(props.flux, environments, annotations, self);
  }

  /** The paths in the repository the delivery objects of environment `name` point at. */
  public pathsOf(name: string): GitOpsEnvironmentPaths {
    const environment = this.directory ? `${this.directory}/${name}` : name;
    return { environment, security: `${environment}/security`, workloads: `${environment}/workloads` };
  }

  private argoCdApplications(argo: ArgoCdDelivery, environments: readonly CheckedEnvironment[], annotations: Record<string, string> | undefined, self: string): void {
    const namespace = argo.namespace ?? 'argocd';
    const project = argo.project ?? 'default';
    checkDnsLabel(namespace, self, 'argoCd.namespace');
    checkDnsSubdomain(project, self, 'argoCd.project');
    checkBoolean(argo.prune, self, 'argoCd.prune');
    checkBoolean(argo.selfHeal, self, 'argoCd.selfHeal');

    const syncPolicy: ApplicationSpecSyncPolicy = {
      // allowEmpty stays false (Argo CD's default): a render with no objects at all (a broken
      // synth, a wrong path) fails instead of pruning the whole environment.
      automated: { prune: argo.prune ?? true, selfHeal: argo.selfHeal ?? true },
      syncOptions: [
        // Server-side apply: an AuthorizationPolicy with many grants outgrows the 256 KiB
        // last-applied-configuration annotation a client-side apply writes, and field ownership
        // makes fields another manager wrote visible (and, with selfHeal, taken back).
        'ServerSideApply=true',
        // An object another Application already manages fails the sync instead of being taken
        // over: two Applications each healing their own version of one AuthorizationPolicy
        // would swap the policy in force back and forth.
        'FailOnSharedResource=true',
        // Not set, on purpose:
        // - CreateNamespace: the mesh's Namespaces are in security/ with their injection labels;
        //   one Argo CD creates first would start pods outside the mesh.
        // - PruneLast: it defers pruning until every other object is healthy, so one crashing
        //   workload would hold a revoked grant in force.
      ],
      // A failed sync (a webhook not yet ready, a CRD being installed) is retried rather than left
      // until the next commit, so the environment converges to its policy on its own.
      retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
    };

    for (const env of environments) {
      const cluster = env.argoCdCluster;
      new ManifestObject(this, `argocd-application-${env.name}`, Application.manifest({
        // No resources-finalizer: deleting the Application leaves the environment running as it
        // is. With it, a deleted or renamed Application would delete every object of the
        // environment in no particular order, policies possibly before the workloads they guard.
        metadata: { name: env.name, namespace, labels: { [ENVIRONMENT_LABEL]: env.name }, ...(annotations ? { annotations } : {}) },
        spec: {
          project,
          source: { repoUrl: this.repositoryUrl, targetRevision: this.branch, path: this.pathsOf(env.name).environment },
          destination: { ...(cluster.server !== undefined ? { server: cluster.server } : { name: cluster.name }), namespace: env.namespace },
          syncPolicy,
        },
      }));
    }
  }

  private fluxKustomizations(flux: FluxDelivery, environments: readonly CheckedEnvironment[], annotations: Record<string, string> | undefined, self: string): void {
    const namespace = flux.namespace ?? 'flux-system';
    checkDnsLabel(namespace, self, 'flux.namespace');
    const sourceName = flux.sourceName ?? repositoryName(this.repositoryUrl, self);
    checkDnsSubdomain(sourceName, self, 'flux.sourceName');
    if (sourceName === 'flux-system') {
      throw new ZeroTrustConfigError(self, flux.sourceName === undefined ? 'repository.url' : 'flux.sourceName',
        '"flux-system" is the GitRepository `flux bootstrap` creates and manages; a second definition of it would overwrite the bootstrap source.',
        'set flux.sourceName to another name, e.g. "zero-trust-mesh".');
    }
    const sourceInterval = checkDuration(flux.sourceInterval ?? '1m', self, 'flux.sourceInterval');
    const interval = checkDuration(flux.interval ?? '5m', self, 'flux.interval');
    const retryInterval = checkDuration(flux.retryInterval ?? '1m', self, 'flux.retryInterval');
    checkBoolean(flux.prune, self, 'flux.prune');
    const prune = flux.prune ?? true;
    if (flux.secretName !== undefined) checkDnsSubdomain(flux.secretName, self, 'flux.secretName');
    if (flux.verificationSecretName !== undefined) checkDnsSubdomain(flux.verificationSecretName, self, 'flux.verificationSecretName');

    new ManifestObject(this, 'flux-git-repository', GitRepository.manifest({
      metadata: { name: sourceName, namespace, ...(annotations ? { annotations } : {}) },
      spec: {
        url: this.repositoryUrl,
        ref: { branch: this.branch },
        interval: sourceInterval,
        ...(flux.secretName !== undefined ? { secretRef: { name: flux.secretName } } : {}),
        ...(flux.verificationSecretName !== undefined
          ? { verify: { mode: GitRepositorySpecVerifyMode.HEAD, secretRef: { name: flux.verificationSecretName } } }
          : {}),
      },
    }));

    const sourceRef = { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: sourceName };
    for (const env of environments) {
      const paths = this.pathsOf(env.name);
      const kubeConfig = env.fluxKubeConfig
        ? { secretRef: { name: env.fluxKubeConfig.secretName, ...(env.fluxKubeConfig.key !== undefined ? { key: env.fluxKubeConfig.key } : {}) } }
        : undefined;
      const common = {
        interval,
        retryInterval,
        sourceRef,
        prune,
        ...(kubeConfig ? { kubeConfig } : {}),
      };
      const labels = { [ENVIRONMENT_LABEL]: env.name };
      new ManifestObject(this, `flux-kustomization-${env.name}-security`, Kustomization.manifest({
        metadata: { name: `${env.name}-security`, namespace, labels },
        spec: {
          ...common,
          path: `./${paths.security}`,
          // Ready only once every object is: the workloads Kustomization waits on that.
          wait: true,
          // Deleting this Kustomization leaves its objects in place, unlike the workloads': a
          // cascading delete would take policy away from workloads that may still be running.
          // A removed object is still pruned while the Kustomization exists.
          deletionPolicy: KustomizationSpecDeletionPolicy.ORPHAN,
        },
      }));
      new ManifestObject(this, `flux-kustomization-${env.name}-workloads`, Kustomization.manifest({
        metadata: { name: `${env.name}-workloads`, namespace, labels },
        spec: {
          ...common,
          path: `./${paths.workloads}`,
          // Not applied, not even the first time, until the security Kustomization is ready:
          // no pod starts before its namespace's default deny and its grants exist.
          dependsOn: [{ name: `${env.name}-security` }],
        },
      }));
    }
  }
}

/** An environment whose fields are checked and defaulted. */
interface CheckedEnvironment {
  readonly name: string;
  readonly namespace: string;
  readonly argoCdCluster: ArgoCdCluster;
  readonly fluxKubeConfig?: FluxKubeConfig;
}

function checkAcknowledgements(acks: GitOpsDeliveryAcknowledgements | undefined, self: string): GitOpsDeliveryAcknowledgements {
  const known: readonly string[] = ['plainHttpRepository'];
  for (const [key, reason] of Object.entries(acks ?? {})) {
    if (!known.includes(key)) {
      throw new ZeroTrustConfigError(self, `acknowledgements.${key}`, `"${key}" is not a known exception.`, `use one of ${known.join(', ')}.`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new ZeroTrustConfigError(self, `acknowledgements.${key}`, 'an acknowledgement needs a reason.',
        'write why the exception is acceptable, e.g. "lab cluster, in-cluster Gitea without TLS, tracked in OPS-42".');
    }
  }
  return acks ?? {};
}

/** The repository's URL and branch, checked; `plainHttp` is the acknowledged reason for http. */
function checkRepository(repository: GitOpsRepository, flux: FluxDelivery | undefined, acks: GitOpsDeliveryAcknowledgements, self: string): { url: string; branch: string; plainHttp?: string } {
  const url = repository.url;
  const field = 'repository.url';
  if (url !== url.trim()) {
    throw new ZeroTrustConfigError(self, field, `"${url}" has leading or trailing whitespace.`, `write "${url.trim()}".`);
  }
  const scp = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(url);
  if (scp) {
    throw new ZeroTrustConfigError(self, field, `"${url}" is an SCP-like address, which Flux does not accept.`,
      `write it as a URL: "ssh://${scp[1]}@${scp[2]}/${scp[3]!.replace(/^\//, '')}".`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ZeroTrustConfigError(self, field, `"${url}" is not a URL.`, 'give the clone URL, e.g. "https://github.com/acme/mesh-config.git".');
  }
  const protocol = parsed.protocol;
  if (protocol === 'git:') {
    throw new ZeroTrustConfigError(self, field, `"${url}" uses the git:// protocol, which neither authenticates the server nor encrypts: anyone on the path can serve their own policy.`,
      `use "https://${parsed.host}${parsed.pathname}" or an ssh:// URL.`);
  }
  if (protocol !== 'https:' && protocol !== 'ssh:' && protocol !== 'http:') {
    throw new ZeroTrustConfigError(self, field, `"${url}" is not an https:// or ssh:// URL.`, 'give the clone URL, e.g. "https://github.com/acme/mesh-config.git".');
  }
  if (parsed.password !== '' || (parsed.username !== '' && protocol !== 'ssh:')) {
    throw new ZeroTrustConfigError(self, field,
      'the URL carries credentials, which would be committed to Git and stored in cluster objects anyone with read access sees.',
      'remove them from the URL and give them as a Secret: flux.secretName for Flux, a repository credential in Argo CD.');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new ZeroTrustConfigError(self, field, `"${url}" has a query or fragment, which is no part of a clone URL.`,
      `give the plain clone URL, e.g. "${protocol}//${parsed.host}${parsed.pathname}".`);
  }
  if (parsed.hostname === '' || parsed.pathname === '' || parsed.pathname === '/') {
    throw new ZeroTrustConfigError(self, field, `"${url}" names no repository.`, 'give the clone URL, e.g. "https://github.com/acme/mesh-config.git".');
  }
  let plainHttp: string | undefined;
  if (protocol === 'http:') {
    plainHttp = acks.plainHttpRepository;
    if (plainHttp === undefined) {
      throw new ZeroTrustConfigError(self, field,
        `"${url}" is plain http: the manifests, security policy included, would travel unauthenticated and unencrypted, so anyone on the path could make the controllers apply their own AuthorizationPolicy.`,
        `use "https://${parsed.host}${parsed.pathname}" or an ssh:// URL. If it is truly intended, acknowledge it: acknowledgements.plainHttpRepository: "<reason>".`);
    }
  }
  if (protocol === 'ssh:' && flux && flux.secretName === undefined) {
    throw new ZeroTrustConfigError(self, 'flux.secretName',
      `Flux cannot clone "${url}" without an SSH identity, nor check the server without its known_hosts.`,
      'create a Secret with identity and known_hosts in the Flux namespace (flux create secret git) and name it in flux.secretName.');
  }
  const branch = repository.branch ?? 'main';
  checkBranch(branch, self, 'repository.branch');
  return { url, branch, ...(plainHttp !== undefined ? { plainHttp } : {}) };
}

/** A branch name as git check-ref-format admits it (the rules a controller's `git fetch` enforces). */
function checkBranch(branch: string, self: string, field: string): void {
  const bad = branch === '' || /[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|^[-/]|\/$|\.$|\.lock$|(^|\/)\./.test(branch) || branch === '@';
  if (bad) {
    throw new ZeroTrustConfigError(self, field, `"${branch}" is not a valid branch name.`, 'give a branch name such as "main" or "release/prod".');
  }
  if (branch === 'HEAD' || branch.startsWith('refs/')) {
    throw new ZeroTrustConfigError(self, field, `"${branch}" is not a branch name.`,
      `give the branch itself${branch.startsWith('refs/heads/') ? `: "${branch.slice('refs/heads/'.length)}"` : ', e.g. "main"'}.`);
  }
}

/** The directory as a clean relative path without `./` or a trailing `/`; `''` for the root. */
function normalizeDirectory(directory: string, self: string): string {
  const field = 'directory';
  if (directory.startsWith('/') || directory.includes('\\')) {
    throw new ZeroTrustConfigError(self, field, `"${directory}" is not a relative path with "/" separators.`,
      'give the path from the repository root, e.g. "deploy/mesh", or "." for the root.');
  }
  const segments = directory.split('/').filter((s, i, all) => !(s === '.' || (s === '' && (i === 0 || i === all.length - 1))));
  if (segments.some((s) => s === '' || s === '..' || /[\x00-\x1f\x7f]/.test(s))) {
    throw new ZeroTrustConfigError(self, field, `"${directory}" has an empty, ".." or control-character segment.`,
      'give the path from the repository root without "..", e.g. "deploy/mesh", or "." for the root.');
  }
  return segments.join('/');
}

function checkEnvironments(props: GitOpsDeliveryProps, self: string): CheckedEnvironment[] {
  if (props.environments.length === 0) {
    throw new ZeroTrustConfigError(self, 'environments', 'is empty, so nothing would be delivered.',
      'list each environment (each Mesh\'s environment name): environments: [{ name: "prod" }].');
  }
  const seen = new Map<string, number>();
  const argoDestinations = new Map<string, number>();
  const fluxDestinations = new Map<string, number>();
  return props.environments.map((env, i) => {
    const at = (f: string) => `environments[${i}].${f}`;
    checkDnsLabel(env.name, self, at('name'));
    if (env.name === GitOpsDelivery.OUTPUT_DIRECTORY) {
      throw new ZeroTrustConfigError(self, at('name'), `"${env.name}" is the directory the delivery objects are written to, beside the environments.`,
        'give the environment (and its Mesh) another name.');
    }
    const earlier = seen.get(env.name);
    if (earlier !== undefined) {
      throw new ZeroTrustConfigError(self, at('name'), `environment "${env.name}" is already listed (environments[${earlier}]).`,
        'list each environment once.');
    }
    seen.set(env.name, i);
    const namespace = env.namespace ?? 'default';
    checkDnsLabel(namespace, self, at('namespace'));

    if (env.argoCdCluster !== undefined && !props.argoCd) {
      throw new ZeroTrustConfigError(self, at('argoCdCluster'), 'is given, but argoCd is not, so no Application would use it.',
        'give argoCd: {} to deliver with Argo CD, or drop argoCdCluster.');
    }
    if (env.fluxKubeConfig !== undefined && !props.flux) {
      throw new ZeroTrustConfigError(self, at('fluxKubeConfig'), 'is given, but flux is not, so no Kustomization would use it.',
        'give flux: {} to deliver with Flux, or drop fluxKubeConfig.');
    }
    const argoCdCluster = env.argoCdCluster ?? ArgoCdCluster.inCluster();
    if (props.argoCd) {
      const key = checkArgoCdCluster(argoCdCluster, self, at('argoCdCluster'));
      claimDestination(argoDestinations, key, i, env.argoCdCluster === undefined ? 'the cluster Argo CD runs in' : `Argo CD cluster ${key}`, self, at('argoCdCluster'));
    }
    if (env.fluxKubeConfig !== undefined) {
      checkDnsSubdomain(env.fluxKubeConfig.secretName, self, at('fluxKubeConfig.secretName'));
      if (env.fluxKubeConfig.key !== undefined && !/^[-._a-zA-Z0-9]+$/.test(env.fluxKubeConfig.key)) {
        throw new ZeroTrustConfigError(self, at('fluxKubeConfig.key'), `"${env.fluxKubeConfig.key}" is not a valid Secret key.`,
          'use letters, digits, "-", "_" and ".", e.g. "value".');
      }
    }
    if (props.flux) {
      const key = env.fluxKubeConfig ? `kubeconfig Secret ${env.fluxKubeConfig.secretName}` : 'the cluster Flux runs in';
      claimDestination(fluxDestinations, key, i, key, self, at('fluxKubeConfig'));
    }
    if (props.argoCd && props.flux && env.argoCdCluster === undefined && env.fluxKubeConfig === undefined) {
      // Both default to the cluster they run in, which is as a rule one cluster: two controllers
      // would apply, prune and heal the same objects, each undoing the other's field ownership.
      throw new ZeroTrustConfigError(self, at('argoCdCluster'),
        `both Argo CD and Flux would deliver environment "${env.name}" to the cluster they run in.`,
        'deliver each environment with one tool: give it an argoCdCluster or a fluxKubeConfig for a cluster the other tool does not manage, or emit only argoCd or only flux.');
    }
    return { name: env.name, namespace, argoCdCluster, ...(env.fluxKubeConfig ? { fluxKubeConfig: env.fluxKubeConfig } : {}) };
  });
}

/**
 * Refuses a second environment on one cluster. Each environment is a Mesh whose mesh-wide policy
 * (the root namespace's PeerAuthentication and Telemetry) has fixed names: two environments in
 * one cluster would overwrite each other's, and their controllers would revert each other's
 * version at every sync, changing the mesh's mTLS mode back and forth.
 */
function claimDestination(claimed: Map<string, number>, key: string, index: number, what: string, self: string, field: string): void {
  const earlier = claimed.get(key);
  if (earlier !== undefined) {
    throw new ZeroTrustConfigError(self, field,
      `environments[${earlier}] already deploys to ${what}; two meshes in one cluster would overwrite each other's mesh-wide policy in the root namespace.`,
      'give each environment its own cluster (argoCdCluster for Argo CD, fluxKubeConfig for Flux).');
  }
  claimed.set(key, index);
}

/** Checks an Argo CD destination; returns the key that identifies its cluster. */
function checkArgoCdCluster(cluster: ArgoCdCluster, self: string, field: string): string {
  if (cluster.server !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(cluster.server);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.protocol !== 'https:' || parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') {
      throw new ZeroTrustConfigError(self, field, `"${cluster.server}" is not an https:// API server URL without credentials.`,
        'give the API server URL the cluster is registered with in Argo CD (argocd cluster list), e.g. "https://prod.k8s.example.com:6443".');
    }
    return cluster.server === IN_CLUSTER_SERVER ? `server ${IN_CLUSTER_SERVER}` : `server ${cluster.server}`;
  }
  const name = cluster.name ?? '';
  if (name.trim() === '' || name !== name.trim()) {
    throw new ZeroTrustConfigError(self, field, `"${name}" is not a cluster name.`,
      'give the name the cluster is registered with in Argo CD (argocd cluster list), or ArgoCdCluster.server(url).');
  }
  // Argo CD registers the cluster it runs in as "in-cluster" at https://kubernetes.default.svc.
  return name === IN_CLUSTER_NAME ? `server ${IN_CLUSTER_SERVER}` : `name ${name}`;
}

function checkDuration(value: string, self: string, field: string): string {
  if (!FLUX_DURATION.test(value)) {
    throw new ZeroTrustConfigError(self, field, `"${value}" is not a Flux duration.`, 'write a number and a unit (ms, s, m, h), e.g. "1m" or "1h30m".');
  }
  return value;
}

function checkBoolean(value: unknown, self: string, field: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ZeroTrustConfigError(self, field, `${JSON.stringify(value)} is not a boolean.`, 'write true or false, or leave it out for the default (true).');
  }
}

/** The default GitRepository name: the repository's last path segment, without `.git`. */
function repositoryName(url: string, self: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
  const name = last.replace(/\.git$/, '');
  if (name === '') {
    throw new ZeroTrustConfigError(self, 'flux.sourceName', `no GitRepository name can be made from "${url}".`, 'set flux.sourceName, e.g. "mesh-config".');
  }
  return suggestDnsLabel(name);
}
