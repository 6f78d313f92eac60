import type { MeshModel, MeshObject } from './model.js';
import { isSubset, labelMap, rec, recs, str, strs } from './values.js';

/**
 * The Kubernetes Gateway API as Istio 1.30 reads it (ISTIO.md §10; gwapi: v1.5.1
 * apis/v1/gateway_types.go, httproute_types.go, referencegrant_types.go;
 * istio:pilot/pkg/config/kube/gateway/conversion.go): one reading shared by the analyzer's
 * checks (checks/gateway-api.ts) and the simulator (access/gateway-api-route.ts).
 */

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** Whether an object is of the Gateway API group (a Gateway API Gateway, not Istio's). */
export function isGatewayApi(o: MeshObject): boolean {
  return o.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`);
}

/** Gateway API Gateways that Istio deploys as ingress gateways (class `istio`; waypoints are `istio-waypoint`). */
export function ingressGateways(m: MeshModel): MeshObject[] {
  return m.ofKind('Gateway').filter((g) => isGatewayApi(g) && str(g.spec.gatewayClassName) === 'istio');
}

/** HTTPRoutes of the Gateway API. */
export function httpRoutes(m: MeshModel): MeshObject[] {
  return m.ofKind('HTTPRoute').filter(isGatewayApi);
}

/**
 * What Istio deploys for a class-`istio` Gateway (ISTIO.md §10.2; istio:pilot/pkg/config/kube/
 * gatewaycommon/gateway_utils.go GetDefaultName, kube-gateway.yaml): Deployment and Service
 * `<name>-istio` (or the `gateway.istio.io/name-override` annotation), ServiceAccount the same
 * (or `gateway.istio.io/service-account`), pods labelled with the Gateway's name and its labels.
 */
export function deployedGateway(g: MeshObject): { readonly name: string; readonly serviceAccount: string; readonly labels: Readonly<Record<string, string>> } {
  const name = g.annotations['gateway.istio.io/name-override'] ?? `${g.name}-istio`;
  return {
    name,
    serviceAccount: g.annotations['gateway.istio.io/service-account'] ?? `${g.name}-istio`,
    labels: { ...g.labels, 'gateway.networking.k8s.io/gateway-name': g.name, 'gateway.istio.io/managed': 'istio.io-gateway-controller' },
  };
}

/** The ServiceAccounts Istio creates in a namespace for its class-`istio` Gateways (not in the manifests). */
export function deployedServiceAccounts(m: MeshModel, namespace: string): string[] {
  return ingressGateways(m).filter((g) => g.namespace === namespace).map((g) => deployedGateway(g).serviceAccount);
}

/** One listener of a Gateway. */
export interface Listener {
  readonly gateway: MeshObject;
  readonly index: number;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** Undefined: any host. */
  readonly hostname?: string;
  readonly raw: Record<string, unknown>;
}

export function listenersOf(g: MeshObject): Listener[] {
  return recs(g.spec.listeners).map((l, index) => ({
    gateway: g, index, name: str(l.name) ?? '', port: Number(l.port ?? 0), protocol: str(l.protocol) ?? '',
    ...(str(l.hostname) !== undefined ? { hostname: str(l.hostname)! } : {}), raw: l,
  }));
}

/**
 * Whether a ReferenceGrant in the target's namespace lets `from` refer to the target
 * (gwapi: referencegrant_types.go: `from` names group, kind and namespace; `to` names group,
 * kind and optionally the object's name). Returns the grant, or undefined.
 */
export function referenceGrantFor(m: MeshModel, from: { group: string; kind: string; namespace: string },
  to: { group: string; kind: string; namespace: string; name: string }): MeshObject | undefined {
  return m.ofKind('ReferenceGrant').filter(isGatewayApi).find((rg) => rg.namespace === to.namespace
    && recs(rg.spec.from).some((f) => (str(f.group) ?? '') === from.group && str(f.kind) === from.kind && str(f.namespace) === from.namespace)
    && recs(rg.spec.to).some((t) => (str(t.group) ?? '') === to.group && str(t.kind) === to.kind && (str(t.name) === undefined || str(t.name) === to.name)));
}

/**
 * Why an HTTPS (or TLS Terminate) listener is not created, if it is not: Istio drops the listener
 * on any certificate error (ISTIO.md §10.3; conversion.go buildSecretReference "Bad TLS
 * configuration"). Only what the manifests can show is judged: no certificateRefs, a reference
 * that is not a core Secret, or one to another namespace without a ReferenceGrant there (the
 * Secret itself is usually created outside the manifests, so its absence is not judged).
 */
export function listenerTlsProblem(m: MeshModel, listener: Listener): string | undefined {
  const tls = rec(listener.raw.tls);
  const terminates = listener.protocol === 'HTTPS' || (listener.protocol === 'TLS' && (str(tls?.mode) ?? 'Terminate') === 'Terminate');
  if (!terminates) return undefined;
  const refs = recs(tls?.certificateRefs);
  if (refs.length === 0) return `listener "${listener.name}" terminates TLS but has no tls.certificateRefs`;
  for (const ref of refs) {
    const group = str(ref.group) ?? '';
    const kind = str(ref.kind) ?? 'Secret';
    const name = str(ref.name) ?? '';
    const namespace = str(ref.namespace) ?? listener.gateway.namespace ?? 'default';
    if (group !== '' || kind !== 'Secret') return `listener "${listener.name}" certificateRef ${name} is a ${group ? `${group}/` : ''}${kind}, not a core Secret`;
    if (namespace !== listener.gateway.namespace
      && !referenceGrantFor(m, { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: listener.gateway.namespace ?? 'default' }, { group: '', kind: 'Secret', namespace, name })) {
      return `listener "${listener.name}" uses Secret ${namespace}/${name}, but no ReferenceGrant in namespace ${namespace} lets Gateways of namespace ${listener.gateway.namespace} refer to it`;
    }
  }
  return undefined;
}

/** A parentRef of a route, with its defaults (gwapi: object_reference_types.go ParentReference). */
export interface ParentRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

export function parentRefsOf(route: MeshObject): ParentRef[] {
  return recs(route.spec.parentRefs).map((p) => ({
    group: str(p.group) ?? GATEWAY_API_GROUP, kind: str(p.kind) ?? 'Gateway',
    namespace: str(p.namespace) ?? route.namespace ?? 'default', name: str(p.name) ?? '',
    ...(str(p.sectionName) !== undefined ? { sectionName: str(p.sectionName)! } : {}),
    ...(p.port !== undefined ? { port: Number(p.port) } : {}),
  }));
}

/**
 * Whether a Gateway API hostname pattern matches a host: `*.example.com` is a suffix match over
 * one or more labels, never `example.com` itself (gwapi: httproute_types.go Hostname).
 */
export function hostnameMatches(pattern: string | undefined, host: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
}

/** Whether a listener's hostname and a route's hostnames intersect (both may be wildcards). */
export function hostnamesIntersect(listenerHostname: string | undefined, routeHostnames: readonly string[]): boolean {
  if (listenerHostname === undefined || routeHostnames.length === 0) return true;
  return routeHostnames.some((h) => hostnameMatches(listenerHostname, h.replace(/^\*\./, 'x.')) || hostnameMatches(h, listenerHostname.replace(/^\*\./, 'x.')));
}

/**
 * Whether a listener's `allowedRoutes` admits routes of `namespace` (default `Same`; `Selector`
 * against the Namespace's labels, which carry `kubernetes.io/metadata.name`). Undefined when a
 * selector must be judged against a Namespace the input does not hold.
 */
export function admitsNamespace(m: MeshModel, listener: Listener, namespace: string): boolean | undefined {
  const namespaces = rec(rec(listener.raw.allowedRoutes)?.namespaces);
  const from = str(namespaces?.from) ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return namespace === listener.gateway.namespace;
  if (from === 'Selector') {
    const ns = m.namespaces.get(namespace);
    if (!ns) return undefined;
    const labels: Record<string, string> = { ...ns.labels, 'kubernetes.io/metadata.name': namespace };
    const selector = rec(namespaces?.selector) ?? {};
    const matchLabels = labelMap(selector.matchLabels) ?? {};
    if (!isSubset(matchLabels, labels)) return false;
    return recs(selector.matchExpressions).every((e) => {
      const value = labels[str(e.key) ?? ''];
      const values = strs(e.values);
      switch (str(e.operator)) {
        case 'In': return value !== undefined && values.includes(value);
        case 'NotIn': return value === undefined || !values.includes(value);
        case 'Exists': return value !== undefined;
        case 'DoesNotExist': return value === undefined;
        default: return false;
      }
    });
  }
  return false;
}

/** Whether a listener admits the HTTPRoute kind (allowedRoutes.kinds; HTTP and HTTPS listeners admit it by default). */
function admitsHttpRoute(listener: Listener): boolean {
  const kinds = recs(rec(listener.raw.allowedRoutes)?.kinds);
  if (kinds.length === 0) return listener.protocol === 'HTTP' || listener.protocol === 'HTTPS';
  return kinds.some((k) => str(k.kind) === 'HTTPRoute' && (str(k.group) ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP);
}

/** How one parentRef of a route attaches: the listeners it attaches to, or why none. */
export type ParentAttachment =
  | { readonly gateway: MeshObject; readonly listeners: readonly Listener[] }
  | { readonly gateway?: MeshObject; readonly problem: string; readonly unknown?: boolean };

/**
 * The listeners a route's parentRef attaches to (ISTIO.md §10.3–10.4): the Gateway must exist,
 * `sectionName`/`port` narrow the listeners, each must admit the route's namespace and the
 * HTTPRoute kind, and its hostname must intersect the route's hostnames.
 */
export function attachParent(m: MeshModel, route: MeshObject, parent: ParentRef): ParentAttachment {
  const label = `${parent.namespace}/${parent.name}`;
  if (parent.group !== GATEWAY_API_GROUP || parent.kind !== 'Gateway') {
    return { problem: `parentRef ${parent.kind} ${label} is not a Gateway (mesh and waypoint parents are not ingress)`, unknown: true };
  }
  const gateway = m.ofKind('Gateway').find((g) => isGatewayApi(g) && g.name === parent.name && g.namespace === parent.namespace);
  if (!gateway) return { problem: `parentRef Gateway ${label} does not exist`, ...(m.covers(parent.namespace, ['Gateway']) ? {} : { unknown: true }) };
  let listeners = listenersOf(gateway);
  if (parent.sectionName !== undefined) listeners = listeners.filter((l) => l.name === parent.sectionName);
  if (parent.port !== undefined) listeners = listeners.filter((l) => l.port === parent.port);
  if (listeners.length === 0) {
    return { gateway, problem: `Gateway ${label} has no listener${parent.sectionName !== undefined ? ` named "${parent.sectionName}"` : ''}${parent.port !== undefined ? ` on port ${parent.port}` : ''}` };
  }
  const routeNs = route.namespace ?? 'default';
  const admitting = listeners.filter((l) => admitsNamespace(m, l, routeNs) !== false);
  if (admitting.length === 0) {
    return { gateway, problem: `the allowedRoutes of Gateway ${label}'s listener(s) ${listeners.map((l) => `"${l.name}"`).join(', ')} do not admit routes from namespace ${routeNs} (from defaults to Same)` };
  }
  const kinds = admitting.filter(admitsHttpRoute);
  if (kinds.length === 0) return { gateway, problem: `Gateway ${label}'s listener(s) ${admitting.map((l) => `"${l.name}"`).join(', ')} do not admit HTTPRoutes` };
  const hostnames = strs(route.spec.hostnames);
  const intersecting = kinds.filter((l) => hostnamesIntersect(l.hostname, hostnames));
  if (intersecting.length === 0) {
    return { gateway, problem: `no listener hostname of Gateway ${label} (${kinds.map((l) => l.hostname ?? '*').join(', ')}) intersects the route's hostnames (${hostnames.join(', ')})` };
  }
  return { gateway, listeners: intersecting };
}

/** A backendRef of a rule, with its defaults (gwapi: httproute_types.go HTTPBackendRef). */
export interface BackendRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port?: number;
  readonly weight: number;
}

export function backendRefsOf(route: MeshObject, rule: Record<string, unknown>): BackendRef[] {
  return recs(rule.backendRefs).map((b) => ({
    group: str(b.group) ?? '', kind: str(b.kind) ?? 'Service',
    namespace: str(b.namespace) ?? route.namespace ?? 'default', name: str(b.name) ?? '',
    ...(b.port !== undefined ? { port: Number(b.port) } : {}),
    weight: b.weight === undefined ? 1 : Number(b.weight),
  }));
}

/**
 * Why a backendRef is invalid (requests sent to it get 500, ISTIO.md §10.4; conversion.go
 * buildDestination), if it is: not a core Service, no port, a Service missing from a namespace the
 * input covers, or another namespace's Service without a ReferenceGrant there.
 */
export function backendProblem(m: MeshModel, route: MeshObject, ref: BackendRef): { problem: string; unknown?: boolean } | undefined {
  const label = `${ref.namespace}/${ref.name}`;
  if (ref.group !== '' || ref.kind !== 'Service') return { problem: `backendRef ${ref.group ? `${ref.group}/` : ''}${ref.kind} ${label} is not a core Service`, unknown: true };
  if (ref.port === undefined) return { problem: `backendRef Service ${label} has no port (a Service reference must name one)` };
  if (ref.namespace !== route.namespace
    && !referenceGrantFor(m, { group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: route.namespace ?? 'default' }, { group: '', kind: 'Service', namespace: ref.namespace, name: ref.name })) {
    return { problem: `backendRef Service ${label} is in another namespace, and no ReferenceGrant in namespace ${ref.namespace} lets HTTPRoutes of namespace ${route.namespace} refer to it (InvalidDestinationPermit)` };
  }
  const service = m.services.find((s) => s.namespace === ref.namespace && s.name === ref.name);
  if (!service) return { problem: `backendRef Service ${label} does not exist`, ...(m.covers(ref.namespace, ['Service']) ? {} : { unknown: true }) };
  if (!service.ports.some((p) => p.port === ref.port)) return { problem: `backendRef Service ${label} has no port ${ref.port} (ports: ${service.ports.map((p) => p.port).join(', ')})` };
  return undefined;
}
