// A sidecar's egress scope: which Sidecar resource configures a workload's proxy, which hosts it
// imports, and its outbound traffic policy. Sources (ISTIO.md §11.1, §11.2):
// api:networking/v1alpha3/sidecar.proto; istio:pilot/pkg/model/push_context.go (initSidecarScopes,
// doGetSidecarScope); istio:pilot/pkg/model/sidecar.go; api:mesh/v1alpha1/config.proto
// (outboundTrafficPolicy, default ALLOW_ANY).
import type { MeshModel, MeshObject, OutboundTrafficPolicy, ServiceInfo, Workload } from './model.js';
import { exportedTo, hostMatches, lowerCaseHostMatches } from './model.js';
import { int, isSubset, labelMap, rec, recs, str, strs } from './values.js';

const byName = (a: MeshObject, b: MeshObject) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A Sidecar's `workloadSelector.labels` ({} when none). */
export function sidecarSelector(o: MeshObject): Record<string, string> {
  return labelMap(rec(o.spec.workloadSelector)?.labels) ?? {};
}

/**
 * The Sidecar resource that configures a workload's proxy: a Sidecar in its namespace whose
 * selector matches its pods, else its namespace's selector-less one, else the root namespace's
 * selector-less one; undefined for Istio's built-in default (imports everything). Conflicts
 * (ZT701, ZT703) are undefined in Istio (the oldest wins); here the first by name.
 */
export function sidecarFor(model: MeshModel, w: Workload): MeshObject | undefined {
  // Asked for every cell of the access matrix: the Sidecars are indexed by namespace once per
  // model, and the answer is remembered per workload.
  let cache = SIDECARS.get(model);
  if (!cache) {
    const byNamespace = new Map<string, MeshObject[]>();
    for (const o of [...model.ofKind('Sidecar')].sort(byName)) {
      const ns = o.namespace ?? 'default';
      const list = byNamespace.get(ns);
      if (list) list.push(o);
      else byNamespace.set(ns, [o]);
    }
    cache = { byNamespace, chosen: new WeakMap() };
    SIDECARS.set(model, cache);
  }
  if (cache.chosen.has(w)) return cache.chosen.get(w);
  const own = cache.byNamespace.get(w.namespace) ?? [];
  const root = cache.byNamespace.get(model.rootNamespace) ?? [];
  const chosen = own.find((o) => Object.keys(sidecarSelector(o)).length > 0 && isSubset(sidecarSelector(o), w.podLabels))
    ?? own.find((o) => Object.keys(sidecarSelector(o)).length === 0)
    ?? root.find((o) => Object.keys(sidecarSelector(o)).length === 0);
  cache.chosen.set(w, chosen);
  return chosen;
}

const SIDECARS = new WeakMap<MeshModel, { byNamespace: Map<string, MeshObject[]>; chosen: WeakMap<Workload, MeshObject | undefined> }>();
/**
 * A Sidecar egress host split once: its namespace part (undefined when it has none) and DNS name,
 * in lower case (host names match without regard to case).
 */
interface EgressHost {
  readonly ns: string | undefined;
  readonly name: string;
}

/**
 * A Sidecar's egress listeners, and the namespaces their hosts can import from at all: named
 * ones, the Sidecar's own (`.`), or any (`*`). A host of another namespace is then refused
 * without looking at names (the access matrix asks every Sidecar about every destination).
 */
interface EgressListeners {
  readonly listeners: readonly { readonly port: number | undefined; readonly hosts: readonly EgressHost[] }[];
  readonly namespaces: ReadonlySet<string>;
  readonly ownNamespace: boolean;
  readonly anyNamespace: boolean;
}

const LISTENERS = new WeakMap<MeshObject, EgressListeners>();

function egressHost(entry: string): EgressHost {
  const slash = entry.indexOf('/');
  return slash < 0 ? { ns: undefined, name: entry.toLowerCase() } : { ns: entry.slice(0, slash), name: entry.slice(slash + 1).toLowerCase() };
}

/** A Sidecar's egress listeners, read once. */
function listenersOf(sidecar: MeshObject): EgressListeners {
  let read = LISTENERS.get(sidecar);
  if (!read) {
    const listeners = recs(sidecar.spec.egress).map((l) => ({ port: int(rec(l.port)?.number), hosts: strs(l.hosts).map(egressHost) }));
    const parts = listeners.flatMap((l) => l.hosts.map((h) => h.ns));
    read = {
      listeners,
      namespaces: new Set(parts.filter((ns): ns is string => ns !== undefined && ns !== '.' && ns !== '*' && ns !== '~')),
      ownNamespace: parts.includes('.'),
      anyNamespace: parts.includes('*'),
    };
    LISTENERS.set(sidecar, read);
  }
  return read;
}

/** A Sidecar's own `outboundTrafficPolicy.mode`, when it sets a known one. */
export function sidecarOutboundMode(o: MeshObject): OutboundTrafficPolicy | undefined {
  const mode = str(rec(o.spec.outboundTrafficPolicy)?.mode)?.toUpperCase();
  return mode === 'ALLOW_ANY' || mode === 'REGISTRY_ONLY' ? mode : undefined;
}

/** A workload's effective outbound traffic policy and where it comes from. */
export interface OutboundPolicy {
  readonly mode: OutboundTrafficPolicy;
  /** `sidecar`: the Sidecar sets it; `mesh`: the stated meshConfig value; `default`: Istio's default, unstated. */
  readonly source: 'sidecar' | 'mesh' | 'default';
  /** The Sidecar resource that configures the workload, if any (it may not set the mode). */
  readonly sidecar?: MeshObject;
}

/**
 * `meshMode` stands in for the model's meshConfig value when given (the access simulator's
 * option), as a stated mesh-wide mode.
 */
export function outboundPolicy(model: MeshModel, w: Workload, meshMode?: OutboundTrafficPolicy): OutboundPolicy {
  const sidecar = sidecarFor(model, w);
  const own = sidecar && sidecarOutboundMode(sidecar);
  if (own) return { mode: own, source: 'sidecar', sidecar };
  const mode = meshMode ?? model.outboundTrafficPolicy;
  const source = meshMode !== undefined || model.outboundTrafficPolicyStated ? 'mesh' : 'default';
  return { mode, source, ...(sidecar ? { sidecar } : {}) };
}

/** The `egress[].hosts` of a Sidecar (all listeners together); none declared means `*\/*`. */
export function egressHosts(o: MeshObject): string[] {
  const listeners = recs(o.spec.egress);
  return listeners.length === 0 ? ['*/*'] : listeners.flatMap((l) => strs(l.hosts));
}

/**
 * Whether a Sidecar egress host `ns/dnsName` (in a Sidecar of `sidecarNamespace`) imports the
 * host `fqdn` of namespace `hostNamespace`: `ns` is `*`, `.` (the Sidecar's own), `~` (none) or a
 * name; `dnsName` is `*`, `*.<suffix>` or an exact name (a wildcard registry host, e.g. a
 * ServiceEntry's `*.example.com`, is imported by the entries that overlap it).
 */
export function importsHost(entry: string, sidecarNamespace: string, hostNamespace: string, fqdn: string): boolean {
  return imported(egressHost(entry), sidecarNamespace, hostNamespace, fqdn.toLowerCase());
}

/** `lowerFqdn` in lower case, as the egress host's name is. */
function imported({ ns, name }: EgressHost, sidecarNamespace: string, hostNamespace: string, lowerFqdn: string): boolean {
  if (ns === undefined) return false; // the webhook requires the namespace part
  if (ns === '~') return false;
  if (ns !== '*' && (ns === '.' ? sidecarNamespace : ns) !== hostNamespace) return false;
  return name === '*' || lowerCaseHostMatches(name, lowerFqdn);
}

/**
 * Whether a Sidecar (undefined: Istio's default scope, which imports everything) imports the
 * registry host `fqdn` declared in `hostNamespace`, on `port` when given: some egress listener
 * lists a matching host, and a listener with a `port` imports its hosts for that port only
 * (istio:pilot/pkg/model/sidecar.go). No egress listener (`egress` absent or empty) is Istio's
 * default listener, `*\/*`.
 */
export function sidecarImports(sidecar: MeshObject | undefined, hostNamespace: string, fqdn: string, port?: number): boolean {
  if (!sidecar) return true;
  const { listeners, namespaces, ownNamespace, anyNamespace } = listenersOf(sidecar);
  const own = sidecar.namespace ?? 'default';
  if (listeners.length === 0) return importsHost('*/*', own, hostNamespace, fqdn);
  if (!anyNamespace && !namespaces.has(hostNamespace) && !(ownNamespace && own === hostNamespace)) return false;
  const lowerFqdn = fqdn.toLowerCase();
  return listeners.some((listener) => {
    if (port !== undefined && listener.port !== undefined && listener.port !== port) return false;
    return listener.hosts.some((h) => imported(h, own, hostNamespace, lowerFqdn));
  });
}

/** The names a Service is known by in the registry (`<name>.<ns>.svc.cluster.local`). */
export function serviceHost(s: ServiceInfo): string {
  return `${s.name}.${s.namespace}.svc.cluster.local`;
}

/** Whether the workload's proxy has the Service in its registry (its Sidecar imports the host). */
export function imports(model: MeshModel, w: Workload, s: ServiceInfo): boolean {
  return sidecarImports(sidecarFor(model, w), s.namespace, serviceHost(s));
}

export { serviceExportedTo } from './model.js';

/** A ServiceEntry's location: MESH_EXTERNAL unless it says MESH_INTERNAL. */
export function isMeshExternal(se: MeshObject): boolean {
  return (str(se.spec.location) ?? 'MESH_EXTERNAL').toUpperCase() !== 'MESH_INTERNAL';
}

/** The ServiceEntries for `host` exported to `namespace` that declare `port` (or no ports). */
export function serviceEntriesFor(model: MeshModel, host: string, port: number, namespace: string): MeshObject[] {
  return model.ofKind('ServiceEntry').filter((se) => strs(se.spec.hosts).some((h) => hostMatches(h, host))
    && exportedTo(strs(se.spec.exportTo), se.namespace ?? 'default', namespace)
    && (recs(se.spec.ports).length === 0 || recs(se.spec.ports).some((p) => int(p.number) === port)));
}
