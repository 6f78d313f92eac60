import { Pair, Scalar, stringify, ToStringOptions, CreateNodeOptions, SchemaOptions } from 'yaml';
import { Manifest } from './manifest.js';

/**
 * The order of kinds in a file: what others depend on first (namespace, identity, workload),
 * then the policy that governs them, then routing.
 */
const KIND_ORDER = [
  'Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'Service', 'Deployment', 'StatefulSet',
  'PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy', 'Telemetry',
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
