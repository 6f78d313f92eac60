import type { MeshModel, MeshObject, Workload } from '../model.js';
import { exportedTo, hostMatches } from '../model.js';
import { int, labelMap, rec, recs, str, strs } from '../values.js';

/**
 * What a caller's sidecar knows of the mesh: its Sidecar resource's `egress[].hosts` and the
 * outbound traffic policy (https://istio.io/latest/docs/reference/config/networking/sidecar/,
 * https://istio.io/latest/docs/ops/configuration/traffic-management/traffic-routing/ "Unmatched
 * traffic"). A host the sidecar does not import is unknown to it: under REGISTRY_ONLY the request
 * is blocked by the caller's own proxy (502 for HTTP from the catch-all virtual host, a closed
 * connection for TCP via BlackHoleCluster); under ALLOW_ANY it is passed through to the original
 * destination in plaintext, with no identity (istio:pilot/pkg/networking/core/httproute.go
 * BuildCatchAllVirtualHost, listener_builder.go PassthroughCluster/BlackHoleCluster).
 */

export type OutboundTrafficPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** The Sidecar that configures a caller and what it implies. */
export interface SidecarScope {
  /** The Sidecar resource, or undefined for the built-in default (imports every exported host). */
  readonly sidecar?: MeshObject;
  readonly mode: OutboundTrafficPolicyMode;
  /** Where the mode came from, for reasons. */
  readonly modeFrom: string;
}

/** A host as the registry holds it: its FQDN and the namespace of the config that declares it. */
export interface RegistryHost {
  readonly host: string;
  readonly namespace: string;
}

const selectorOf = (o: MeshObject) => labelMap(rec(o.spec.workloadSelector)?.labels) ?? {};
const byName = (a: MeshObject, b: MeshObject) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The Sidecar of a workload (istio:pilot/pkg/model/push_context.go getSidecarScope): a Sidecar of
 * its namespace whose `workloadSelector` picks it, else its namespace's selector-less Sidecar,
 * else the root namespace's selector-less one, else the default. Creation order decides ties in
 * Istio; offline the first by name stands in (the analyzer reports such conflicts).
 */
export function sidecarScopeOf(model: MeshModel, workload: Workload, meshMode: OutboundTrafficPolicyMode): SidecarScope {
  const sidecars = model.ofKind('Sidecar');
  const inNamespace = sidecars.filter((s) => s.namespace === workload.namespace).sort(byName);
  const chosen = inNamespace.find((s) => {
    const labels = selectorOf(s);
    return Object.keys(labels).length > 0 && Object.entries(labels).every(([k, v]) => workload.podLabels[k] === v);
  }) ?? inNamespace.find((s) => Object.keys(selectorOf(s)).length === 0)
    ?? sidecars.filter((s) => s.namespace === model.rootNamespace && Object.keys(selectorOf(s)).length === 0).sort(byName)[0];
  const own = str(rec(chosen?.spec.outboundTrafficPolicy)?.mode)?.toUpperCase();
  if (chosen && (own === 'ALLOW_ANY' || own === 'REGISTRY_ONLY')) return { sidecar: chosen, mode: own, modeFrom: `Sidecar ${chosen.namespace}/${chosen.name}` };
  return { ...(chosen ? { sidecar: chosen } : {}), mode: meshMode, modeFrom: 'the mesh\'s outboundTrafficPolicy' };
}

/**
 * Whether the scope imports `host` for a caller in `callerNamespace` on `port`: the host must be
 * exported to the caller's namespace (checked by the caller), and some `egress[].hosts` entry
 * `ns/dnsName` must match: `ns` is `*`, `.` (the Sidecar's namespace), a name, or `~` (none);
 * `dnsName` is `*`, `*.suffix` or an FQDN. No `egress` imports everything. An egress listener with
 * a `port` imports its hosts for that port only.
 */
export function imports(scope: SidecarScope, host: RegistryHost, port: number): boolean {
  const sidecar = scope.sidecar;
  if (!sidecar) return true;
  const listeners = recs(sidecar.spec.egress);
  if (sidecar.spec.egress === undefined) return true;
  return listeners.some((listener) => {
    const listenerPort = int(rec(listener.port)?.number);
    if (listenerPort !== undefined && listenerPort !== port) return false;
    return strs(listener.hosts).some((entry) => {
      const slash = entry.indexOf('/');
      if (slash <= 0) return false;
      const ns = entry.slice(0, slash);
      const dns = entry.slice(slash + 1);
      const nsOk = ns === '*' || (ns === '.' ? host.namespace === sidecar.namespace : ns !== '~' && ns === host.namespace);
      return nsOk && (dns === '*' || hostMatches(dns, host.host));
    });
  });
}

/** Whether a Kubernetes Service is exported to `namespace` (`networking.istio.io/exportTo`). */
export function serviceExportedTo(service: MeshObject, namespace: string): boolean {
  const list = (service.annotations['networking.istio.io/exportTo'] ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  return exportedTo(list, service.namespace ?? 'default', namespace);
}

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
