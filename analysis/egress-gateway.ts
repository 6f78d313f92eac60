// Egress through an egress gateway in sidecar mode (ISTIO.md §11.4;
// https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/): a VirtualService
// bound to `mesh` sends an external host to the gateway's Service, and a Gateway on the gateway's
// pods takes it from there. What a caller's sidecar and the gateway see, read from manifests.
import type { MeshModel, MeshObject, Workload } from './model.js';
import { exportedTo, gatewayPods, gatewayRef, hostMatches, kubernetesServiceOf, serverHostAdmits } from './model.js';
import { int, isSubset, labelMap, rec, recs, str, strs } from './values.js';

/** Where a caller's sidecar sends an external host when a mesh route points it at a gateway. */
export interface EgressGatewayRoute {
  /** The VirtualService whose mesh-bound route sends the host to the gateway. */
  readonly virtualService: MeshObject;
  /** Which of its sections routed it, and the index (`tls[0]`). */
  readonly where: string;
  /** The Istio Gateway on the gateway's pods that the VirtualService also binds. */
  readonly gateway: MeshObject;
  /** The gateway pods' labels (the Gateway's selector). */
  readonly labels: Readonly<Record<string, string>>;
  /** The gateway Service the route sends the host to. */
  readonly serviceNamespace: string;
  readonly serviceName: string;
  /** The Service port the caller's sidecar connects to. */
  readonly port: number;
  /** The DestinationRule subset the route names, if any. */
  readonly subset?: string;
  /** The Gateway's server for that port and host, if it has one. */
  readonly server?: Readonly<Record<string, unknown>>;
}

const byName = (a: MeshObject, b: MeshObject) => {
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Whether a match block applies to sidecar traffic to `port` (and, for TLS, SNI `host`). */
function meshMatch(match: Readonly<Record<string, unknown>>, vsGateways: readonly string[], port: number, host: string, tls: boolean): boolean {
  const gateways = strs(match.gateways).length > 0 ? strs(match.gateways) : vsGateways;
  if (gateways.length > 0 && !gateways.includes('mesh')) return false;
  if (match.port !== undefined && int(match.port) !== port) return false;
  if (tls && strs(match.sniHosts).length > 0 && !strs(match.sniHosts).some((h) => hostMatches(h, host))) return false;
  return true;
}

/**
 * The route a caller's sidecar in `callerNamespace` takes for `host:port` when a mesh-bound
 * VirtualService exported to it sends the host to an in-cluster Service that is the pods of a
 * Gateway the VirtualService also binds: an egress gateway. Undefined when no such route exists
 * (the sidecar connects to the host itself). Of several VirtualServices for one host, Istio uses
 * the oldest; the manifests carry no creation time, so the first by namespace and name is taken.
 */
export function meshRouteToEgressGateway(model: MeshModel, host: string, port: number, callerNamespace: string): EgressGatewayRoute | undefined {
  const candidates = model.ofKind('VirtualService')
    .filter((vs) => strs(vs.spec.hosts).some((h) => hostMatches(h, host)) && exportedTo(strs(vs.spec.exportTo), vs.namespace ?? 'default', callerNamespace))
    .sort(byName);
  for (const vs of candidates) {
    const vsNamespace = vs.namespace ?? 'default';
    const vsGateways = strs(vs.spec.gateways);
    if (vsGateways.length > 0 && !vsGateways.includes('mesh')) continue;
    for (const section of ['http', 'tls', 'tcp'] as const) {
      const entries = recs(vs.spec[section]);
      const index = entries.findIndex((e) => recs(e.match).length === 0 || recs(e.match).some((m) => meshMatch(m, vsGateways, port, host, section === 'tls')));
      if (index < 0) continue;
      const destination = rec(recs(entries[index]!.route)[0]?.destination);
      const service = kubernetesServiceOf(str(destination?.host) ?? '', vsNamespace);
      if (!destination || !service) return undefined; // routed straight to the host (or elsewhere): no gateway
      const gateways = vsGateways.filter((g) => g !== 'mesh').map((g) => gatewayRef(g, vsNamespace))
        .map((ref) => model.ofKind('Gateway').find((g) => g.name === ref.name && (g.namespace ?? 'default') === ref.namespace))
        .filter((g): g is MeshObject => g !== undefined);
      // The egress gateway is the bound Gateway on the destination Service's pods: in the
      // Service's namespace, and matching its selector when the Service is in the manifests.
      const svc = model.services.find((s) => s.name === service.name && s.namespace === service.namespace);
      const gateway = gateways.find((g) => (g.namespace ?? 'default') === service.namespace
        && (!svc?.selector || compatible(labelMap(rec(g.spec.selector)) ?? {}, svc.selector)));
      if (!gateway) return undefined;
      const servicePort = int(rec(destination.port)?.number) ?? port;
      const server = recs(gateway.spec.servers).find((s) => int(rec(s.port)?.number) === servicePort
        && strs(s.hosts).some((h) => serverHostAdmits(h, gateway.namespace ?? 'default', vsNamespace, host)));
      const subset = str(destination.subset);
      return {
        virtualService: vs, where: `${section}[${index}]`, gateway, labels: labelMap(rec(gateway.spec.selector)) ?? {},
        serviceNamespace: service.namespace, serviceName: service.name, port: servicePort,
        ...(subset ? { subset } : {}), ...(server ? { server } : {}),
      };
    }
  }
  return undefined;
}

/** Whether two selectors can pick the same pods: every label they both name has one value. */
function compatible(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return isSubset(a, b) || isSubset(b, a);
}

/** A Gateway server's TLS mode (`ISTIO_MUTUAL`, `SIMPLE`, `PASSTHROUGH`...), or undefined for a plain server. */
export function serverTlsMode(server: Readonly<Record<string, unknown>> | undefined): string | undefined {
  return str(rec(server?.tls)?.mode)?.toUpperCase();
}

/** Whether a Gateway server speaks HTTP to its clients (HTTP, HTTPS, HTTP2, GRPC), so routes and policies see requests. */
export function serverIsHttp(server: Readonly<Record<string, unknown>> | undefined): boolean {
  const protocol = (str(rec(server?.port)?.protocol) ?? '').toUpperCase();
  return ['HTTP', 'HTTPS', 'HTTP2', 'GRPC'].includes(protocol) && serverTlsMode(server) !== 'PASSTHROUGH';
}

/**
 * The DestinationRule TLS mode a client in `clientNamespace` uses for a host and port: the rule
 * for the host (most specific first) in the client's namespace, else the host's, else the root
 * namespace, exported to the client; a subset's traffic policy overrides the rule's, a port's
 * setting the whole policy's (istio:pilot/pkg/model/push_context.go destinationRule; istio.io,
 * "Destination Rule" reference: Subset.trafficPolicy, portLevelSettings).
 */
export function destinationRuleTls(model: MeshModel, clientNamespace: string, fqdn: string, hostNamespace: string, servicePort: number, subset?: string): { mode: string; source: string } | undefined {
  const rulesIn = (ns: string) => model.ofKind('DestinationRule').filter((dr) => dr.namespace === ns && hostCovers(str(dr.spec.host) ?? '', dr.namespace ?? ns, fqdn)
    && exportedTo(strs(dr.spec.exportTo), dr.namespace ?? ns, clientNamespace));
  const modeOf = (policy: Readonly<Record<string, unknown>> | undefined) => {
    const portLevel = recs(policy?.portLevelSettings).find((p) => int(rec(p.port)?.number) === servicePort);
    return str(rec(portLevel?.tls)?.mode) ?? str(rec(policy?.tls)?.mode);
  };
  for (const ns of new Set([clientNamespace, hostNamespace, model.rootNamespace])) {
    const dr = rulesIn(ns).sort((a, b) => specificity(str(b.spec.host) ?? '') - specificity(str(a.spec.host) ?? ''))[0];
    if (!dr) continue;
    const fromSubset = subset !== undefined ? modeOf(rec(recs(dr.spec.subsets).find((s) => str(s.name) === subset)?.trafficPolicy)) : undefined;
    const mode = fromSubset ?? modeOf(rec(dr.spec.trafficPolicy));
    return mode ? { mode: mode.toUpperCase(), source: `${dr.namespace}/${dr.name}${fromSubset ? ` subset ${subset}` : ''}` } : undefined;
  }
  return undefined;
}

function hostCovers(host: string, drNamespace: string, fqdn: string): boolean {
  if (host === '*' || host === '*.local' || host === '*.cluster.local') return true;
  const full = host.includes('.') ? host : `${host}.${drNamespace}.svc.cluster.local`;
  if (full.startsWith('*.')) return fqdn.endsWith(full.slice(1));
  return full === fqdn || `${full}.svc.cluster.local` === fqdn;
}

function specificity(host: string): number {
  return host.startsWith('*') ? host.length - 100 : host.length;
}

const ROUTES = new WeakMap<MeshModel, readonly { readonly host: string; readonly route: EgressGatewayRoute }[]>();

/** The egress gateway's pods as a workload, for policy selection: the Gateway's selector in the Service's namespace. */
export function egressGatewayPods(route: EgressGatewayRoute): Workload {
  return gatewayPods(route.serviceNamespace, route.serviceName, route.serviceName, route.labels);
}

/** The namespaces to look at a VirtualService from: its own, then those `exportTo` names. */
function viewpoints(vs: MeshObject): string[] {
  const own = vs.namespace ?? 'default';
  return [own, ...strs(vs.spec.exportTo).filter((n) => n !== '.' && n !== '*' && n !== '~' && n !== own)];
}

/**
 * Every route into an egress gateway the manifests declare: per mesh-bound VirtualService that
 * also binds a Gateway, per non-wildcard host and per port (the ports its matches name and those
 * of the host's ServiceEntries), the route the sidecars of a namespace it is exported to would
 * take (its own namespace's first).
 */
export function egressGatewayRoutes(model: MeshModel): readonly { readonly host: string; readonly route: EgressGatewayRoute }[] {
  // Read by ZT254, ZT757 and ZT758 on the same model: found once.
  const known = ROUTES.get(model);
  if (known) return known;
  const out: { host: string; route: EgressGatewayRoute }[] = [];
  for (const vs of [...model.ofKind('VirtualService')].sort(byName)) {
    const gateways = strs(vs.spec.gateways);
    if (!gateways.includes('mesh') || gateways.length < 2) continue;
    const matchPorts = (['http', 'tls', 'tcp'] as const).flatMap((section) => recs(vs.spec[section]).flatMap((e) => recs(e.match).map((m) => int(m.port))));
    for (const host of strs(vs.spec.hosts).filter((h) => !h.includes('*'))) {
      const entryPorts = model.ofKind('ServiceEntry').filter((se) => strs(se.spec.hosts).some((h) => hostMatches(h, host))).flatMap((se) => recs(se.spec.ports).map((p) => int(p.number)));
      const ports = [...new Set([...matchPorts, ...entryPorts].filter((p): p is number => p !== undefined))].sort((a, b) => a - b);
      for (const port of ports) {
        // Seen from the namespaces the route is exported to: its own, unless `exportTo` leaves it
        // out (a route exported only to other namespaces is invisible from its own).
        for (const from of viewpoints(vs)) {
          const route = meshRouteToEgressGateway(model, host, port, from);
          if (route && route.virtualService === vs) {
            out.push({ host, route });
            break;
          }
        }
      }
    }
  }
  ROUTES.set(model, out);
  return out;
}
