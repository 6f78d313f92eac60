import { Pair, Scalar, stringify, ToStringOptions, CreateNodeOptions, SchemaOptions } from 'yaml';
import { Manifest } from './manifest.js';

/**
 * The order of kinds in a file: what others depend on first (namespace, identity, workload),
 * then the policy that governs them, then routing.
 */
const KIND_ORDER = [
  'Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'Service', 'Deployment', 'StatefulSet',
  'HorizontalPodAutoscaler', 'PodDisruptionBudget',
  'PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy', 'NetworkPolicy', 'Sidecar', 'Telemetry',
  'Gateway', 'VirtualService', 'DestinationRule',
];

/** Keys written first, in this order, at any depth; all others follow alphabetically. */
const LEADING_KEYS = ['apiVersion', 'kind', 'metadata', 'name', 'namespace'];

function keyOrder(a: string, b: string): number {
  const ia = LEADING_KEYS.indexOf(a);
  const ib = LEADING_KEYS.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? LEADING_KEYS.length : ia) - (ib === -1 ? LEADING_KEYS.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The options every manifest is serialized with: no line folding, no anchors, and map keys in
 * canonical order at every depth. Sorting happens inside the YAML library while it builds its
 * nodes, so no canonical copy of each object is made first. Lists keep their order: in
 * Kubernetes and Istio it is meaningful (containers, rules, routes). Exported so the benchmark's floor
 * serializes with exactly these options).
 */
export const YAML_OPTIONS: ToStringOptions & CreateNodeOptions & SchemaOptions = {
  lineWidth: 0,
  minContentWidth: 0,
  aliasDuplicateObjects: false,
  sortMapEntries: (a: Pair, b: Pair) => keyOrder(String((a.key as Scalar).value), String((b.key as Scalar).value)),
};

/** Compares objects for their place in a file: by kind order, then name. */
export function compareManifests(a: Manifest, b: Manifest): number {
  const ka = KIND_ORDER.indexOf(a.kind);
  const kb = KIND_ORDER.indexOf(b.kind);
  const rank = (ka === -1 ? KIND_ORDER.length : ka) - (kb === -1 ? KIND_ORDER.length : kb);
  if (rank !== 0) return rank;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** The file an object belongs in: its namespace's, or the mesh-wide file. */
export function fileFor(m: Manifest, rootNamespace: string): string {
  if (m.kind === 'Namespace') return `${m.metadata.name}.yaml`;
  const ns = m.metadata.namespace;
  if (!ns || ns === rootNamespace) return MESH_FILE;
  return `${ns}.yaml`;
}

/** Cluster-scoped and root-namespace (mesh-wide) objects. */
export const MESH_FILE = 'mesh.yaml';

/**
 * Renders an environment's objects as files: one per namespace plus `mesh.yaml`, objects in
 * canonical order, keys in canonical order, no line folding. Same input, same bytes.
 */
export function renderFiles(manifests: readonly Manifest[], options: { rootNamespace: string; header: string }): Map<string, string> {
  const groups = new Map<string, Manifest[]>();
  for (const m of manifests) {
    const file = fileFor(m, options.rootNamespace);
    if (file === MESH_FILE && m.kind === 'Namespace') {
      throw new Error(`A namespace named "${m.metadata.name}" would collide with the mesh-wide file ${MESH_FILE}; rename the namespace.`);
    }
    const group = groups.get(file);
    if (group) group.push(m);
    else groups.set(file, [m]);
  }
  const header = options.header.split('\n').map((l) => `# ${l}`).join('\n');
  const files = new Map<string, string>();
  for (const file of [...groups.keys()].sort()) {
    const docs = groups.get(file)!.slice().sort(compareManifests)
      .map((m) => stringify(m, YAML_OPTIONS));
    files.set(file, `${header}\n---\n${docs.join('---\n')}`);
  }
  return files;
}

/**
 * The kinds that must be in place before any workload starts: the namespace, the identities, the
 * policies that authenticate and authorize every request, and the L3/L4 and egress limits. Written to `security/`, which
 * every delivery path applies first, so that no pod ever runs for a moment without its policy.
 */
const SECURITY_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'ServiceAccount', 'PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy',
  'NetworkPolicy', 'Sidecar',
]);

/** The directory of an environment that an object is written to: `security` first, then `workloads`. */
export type Phase = 'security' | 'workloads';

/** The phases in the order they are applied. */
export const PHASES: readonly Phase[] = ['security', 'workloads'];

/** The phase (directory) an object belongs to. */
export function phaseOf(m: Manifest): Phase {
  return SECURITY_KINDS.has(m.kind) ? 'security' : 'workloads';
}

/** The kustomization file of every directory. */
export const KUSTOMIZATION_FILE = 'kustomization.yaml';

/** Argo CD's sync wave for `security/`: before the default wave 0 of everything else. */
export const SECURITY_SYNC_WAVE = '-1';

/**
 * The files of one environment as `MeshApp` writes them, a kustomize tree that `kubectl apply -k`,
 * Argo CD and Flux read as it is:
 * - `security/`: Namespaces, ServiceAccounts, PeerAuthentication, RequestAuthentication and
 *   AuthorizationPolicy, one file per namespace plus `mesh.yaml`, with a kustomization that marks
 *   them Argo CD sync wave -1 (applied, and healthy, before wave 0) and keeps Argo CD and Flux
 *   from ever pruning a Namespace (deleting one deletes its workloads and their volumes);
 * - `workloads/`: everything else, laid out the same way;
 * - `kustomization.yaml`: both directories, security first.
 * Same input, same bytes.
 */
export function renderEnvironment(synthesis: { readonly environment: string; readonly rootNamespace: string; readonly manifests: readonly Manifest[] }): Map<string, string> {
  const header = `Generated by zero-trust-mesh from the mesh of environment "${synthesis.environment}". Do not edit:\n`
    + 'change the code that defines the mesh and synthesize again.';
  const files = new Map<string, string>();
  files.set(KUSTOMIZATION_FILE, kustomization(header, { resources: [...PHASES] }));
  for (const phase of PHASES) {
    const rendered = renderFiles(synthesis.manifests.filter((m) => phaseOf(m) === phase), { rootNamespace: synthesis.rootNamespace, header });
    files.set(`${phase}/${KUSTOMIZATION_FILE}`, kustomization(header, phase === 'security' ? SECURITY_KUSTOMIZATION(rendered) : { resources: [...rendered.keys()] }));
    for (const [file, yaml] of rendered) files.set(`${phase}/${file}`, yaml);
  }
  return files;
}

/** The security directory's kustomization: sync wave -1, Namespaces never pruned. */
function SECURITY_KUSTOMIZATION(rendered: ReadonlyMap<string, string>): Record<string, unknown> {
  return {
    commonAnnotations: { 'argocd.argoproj.io/sync-wave': SECURITY_SYNC_WAVE },
    patches: [{
      target: { kind: 'Namespace' },
      patch: stringify({
        apiVersion: 'v1', kind: 'Namespace',
        metadata: {
          name: 'any',
          annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
        },
      }, YAML_OPTIONS),
    }],
    resources: [...rendered.keys()],
  };
}

/** A `kustomization.yaml` with `header` as its comment and `body` (resources, patches, ...) after apiVersion and kind. */
export function kustomization(header: string, body: Record<string, unknown>): string {
  const comment = header.split('\n').map((l) => `# ${l}`).join('\n');
  return `${comment}\n${stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...body }, YAML_OPTIONS)}`;
}
