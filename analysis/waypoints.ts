import type { MeshModel, MeshObject, ServiceInfo, Workload } from './model.js';
import { namespaceLabels, parseSelector, selects } from './network-policy.js';
import { arr, rec, recs, str } from './values.js';

/**
 * Ambient mode's waypoints, read from manifests (ISTIO.md §9.5–§9.6): which Gateways are
 * waypoints, what `istio.io/use-waypoint` binds to them, who they run as, and which policies
 * they enforce through `targetRefs`. Shared by the analyzer's ambient checks and the access
 * simulator's ambient path.
 *
 * A waypoint declared in the manifests is taken to be ready: Istio deploys its pods itself, and
 * readiness (`status.addresses`) is runtime state no manifest holds.
 */

export const WAYPOINT_CLASS = 'istio-waypoint';
export const USE_WAYPOINT = 'istio.io/use-waypoint';
export const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
export const WAYPOINT_FOR = 'istio.io/waypoint-for';
export const INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** What traffic a waypoint takes (`istio.io/waypoint-for`). */
export type WaypointFor = 'service' | 'workload' | 'all' | 'none';

export interface Waypoint {
  readonly object: MeshObject;
  readonly namespace: string;
  readonly name: string;
  /** The Gateway's label, else the GatewayClass's, else `service` (istio:pilot/pkg/serviceregistry/ambient/waypoints.go gatewayToWaypointTransform). */
  readonly trafficType: WaypointFor;
  /**
   * The waypoint's ServiceAccount: the class `istio-waypoint` has no name suffix, so it is the
   * Gateway's name, unless `gateway.istio.io/service-account` says otherwise
   * (istio:pilot/pkg/config/kube/gatewaycommon/classinfo.go DisableNameSuffix).
   */
  readonly serviceAccount: string;
  /** The labels its pods carry: the Gateway's own plus `gateway.networking.k8s.io/gateway-name`. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Problems with its listeners (exactly one HBONE listener on 15008 is expected); empty when fine. */
  readonly listenerProblems: readonly string[];
  /** The HBONE listener's `allowedRoutes.namespaces` (default `Same`). */
  readonly allowedRoutes: Readonly<Record<string, unknown>>;
}

/** Why an object has no waypoint, in Istio's condition vocabulary where it has one. */
export type UnboundReason =
  | { readonly kind: 'unlabelled' }
  | { readonly kind: 'opted-out'; readonly where: string }
  | { readonly kind: 'WaypointIsNotReady'; readonly ref: string; readonly where: string }
  | { readonly kind: 'AttachmentDenied'; readonly waypoint: Waypoint; readonly where: string }
  | { readonly kind: 'UnsupportedTrafficType'; readonly waypoint: Waypoint; readonly where: string; readonly explicit: boolean };

export type WaypointBinding =
  | { readonly bound: true; readonly waypoint: Waypoint; readonly where: string }
  | { readonly bound: false; readonly reason: UnboundReason };

/** A `targetRefs` entry (or the deprecated `targetRef`). */
export interface TargetRef { readonly group: string; readonly kind: string; readonly name: string; readonly namespace?: string }

export function targetRefsOf(o: MeshObject): TargetRef[] {
  const entries = [...(o.spec.targetRef !== undefined ? [o.spec.targetRef] : []), ...arr(o.spec.targetRefs)];
  return entries.flatMap((e) => {
    const r = rec(e);
    const name = str(r?.name);
    if (!r || !name) return [];
    return [{ group: str(r.group) ?? '', kind: str(r.kind) ?? '', name, ...(str(r.namespace) ? { namespace: str(r.namespace)! } : {}) }];
  });
}

/** A short text for an unbound reason, for findings and the simulator's BYPASS notes. */
export function unboundText(reason: UnboundReason): string {
  switch (reason.kind) {
    case 'unlabelled': return `no ${USE_WAYPOINT} label on it or its namespace`;
    case 'opted-out': return `${USE_WAYPOINT}: none on ${reason.where}`;
    case 'WaypointIsNotReady': return `WaypointIsNotReady: ${reason.where} names waypoint ${reason.ref}, which is not in the manifests`;
    case 'AttachmentDenied': return `AttachmentDenied: waypoint ${reason.waypoint.namespace}/${reason.waypoint.name}'s allowedRoutes do not admit ${reason.where}`;
    case 'UnsupportedTrafficType': return `UnsupportedTrafficType: waypoint ${reason.waypoint.namespace}/${reason.waypoint.name} is for ${reason.waypoint.trafficType} traffic (${WAYPOINT_FOR}), not ${reason.where}`;
  }
}

export class Waypoints {
  public readonly all: readonly Waypoint[];

  public constructor(private readonly model: MeshModel) {
    const classFor = model.ofKind('GatewayClass').find((c) => c.name === WAYPOINT_CLASS && c.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`))?.labels[WAYPOINT_FOR];
    this.all = model.ofKind('Gateway')
      .filter((g) => g.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`) && str(g.spec.gatewayClassName) === WAYPOINT_CLASS)
      .map((g) => {
        const declared = g.labels[WAYPOINT_FOR] ?? classFor ?? 'service';
        const trafficType: WaypointFor = declared === 'workload' || declared === 'all' || declared === 'none' ? declared : 'service';
        const listeners = recs(g.spec.listeners);
        const hbone = listeners.filter((l) => str(l.protocol) === 'HBONE');
        const listenerProblems: string[] = [];
        if (hbone.length !== 1 || listeners.length !== 1) listenerProblems.push(`has ${listeners.length} listener(s), ${hbone.length} of them HBONE; a waypoint needs exactly one, {protocol: HBONE, port: 15008}`);
        else if (Number(hbone[0]!.port) !== 15008) listenerProblems.push(`listens for HBONE on port ${String(hbone[0]!.port)}, not 15008`);
        return {
          object: g, namespace: g.namespace ?? 'default', name: g.name, trafficType,
          serviceAccount: g.annotations['gateway.istio.io/service-account'] ?? g.name,
          podLabels: { ...g.labels, 'gateway.networking.k8s.io/gateway-name': g.name },
          listenerProblems,
          allowedRoutes: rec(rec(hbone[0]?.allowedRoutes)?.namespaces) ?? {},
        };
      });
  }

  public find(namespace: string, name: string): Waypoint | undefined {
    return this.all.find((w) => w.namespace === namespace && w.name === name);
  }

  /** Whether the waypoint's HBONE listener admits objects of `namespace` (allowedRoutes, default Same). */
  public admits(waypoint: Waypoint, namespace: string): boolean {
    const from = str(waypoint.allowedRoutes.from) ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Selector') {
      const { labels, complete } = namespaceLabels(this.model, namespace);
      return selects(parseSelector(waypoint.allowedRoutes.selector), labels, complete);
    }
    return namespace === waypoint.namespace;
  }

  /**
   * The waypoint traffic addressed to a Service (or ServiceEntry) goes through: its own
   * `istio.io/use-waypoint` label, else its namespace's; `none` opts out
   * (istio:pilot/pkg/serviceregistry/ambient/waypoints.go fetchWaypointForService).
   */
  public forService(service: ServiceInfo | MeshObject): WaypointBinding {
    const object = 'object' in service ? service.object : service;
    return this.bind(object.labels, object.namespace ?? 'default', `${object.kind} ${object.namespace}/${object.name}`, 'service', false);
  }

  /** The waypoint traffic addressed to a pod IP goes through (fetchWaypointForWorkload). */
  public forWorkload(w: Workload): WaypointBinding {
    return this.bind(w.podLabels, w.namespace, `pod of ${w.object.kind} ${w.namespace}/${w.name}`, 'workload', true);
  }

  private bind(labels: Readonly<Record<string, string>>, namespace: string, what: string, type: 'service' | 'workload', isPod: boolean): WaypointBinding {
    const own = labels[USE_WAYPOINT];
    let name: string;
    let ns = namespace;
    let where: string;
    let explicit: boolean;
    if (own !== undefined) {
      if (own === 'none') return { bound: false, reason: { kind: 'opted-out', where: what } };
      name = own; ns = labels[USE_WAYPOINT_NAMESPACE] ?? namespace; where = what; explicit = true;
    } else {
      const nsLabels = this.model.namespaces.get(namespace)?.labels ?? {};
      const inherited = nsLabels[USE_WAYPOINT];
      if (inherited === undefined) return { bound: false, reason: { kind: 'unlabelled' } };
      if (inherited === 'none') return { bound: false, reason: { kind: 'opted-out', where: `Namespace ${namespace}` } };
      name = inherited; ns = nsLabels[USE_WAYPOINT_NAMESPACE] ?? namespace; where = `Namespace ${namespace} (inherited by ${what})`; explicit = false;
    }
    const waypoint = this.find(ns, name);
    if (!waypoint || waypoint.listenerProblems.length > 0) return { bound: false, reason: { kind: 'WaypointIsNotReady', ref: `${ns}/${name}`, where } };
    if (!this.admits(waypoint, namespace)) return { bound: false, reason: { kind: 'AttachmentDenied', waypoint, where: `namespace ${namespace}` } };
    if (waypoint.trafficType !== type && waypoint.trafficType !== 'all') {
      // A pod that only inherits a service waypoint gets none, silently; an explicit label is reported.
      return { bound: false, reason: { kind: 'UnsupportedTrafficType', waypoint, where: `${type} traffic of ${what}`, explicit: explicit || !isPod } };
    }
    return { bound: true, waypoint, where };
  }

  /**
   * The AuthorizationPolicies (or RequestAuthentications) a waypoint enforces for one request:
   * `targetRefs` to the waypoint's Gateway (in its namespace), to the addressed Service or
   * ServiceEntry (in that object's namespace; only for service-addressed traffic), and to the
   * GatewayClass `istio-waypoint` (root namespace). Selector policies never apply there
   * (istio:pilot/pkg/model/policyattachment.go ShouldAttachPolicy). Dry-run policies are left out.
   */
  public policiesAt(kind: 'AuthorizationPolicy' | 'RequestAuthentication', waypoint: Waypoint, addressed: MeshObject | undefined): MeshObject[] {
    return this.model.ofKind(kind).filter((p) => !(kind === 'AuthorizationPolicy' && this.model.isDryRun(p))
      && targetRefsOf(p).some((t) => this.refersTo(p, t, waypoint, addressed)));
  }

  private refersTo(policy: MeshObject, t: TargetRef, waypoint: Waypoint, addressed: MeshObject | undefined): boolean {
    if (t.namespace !== undefined) return false; // rejected by validation
    const ns = policy.namespace ?? 'default';
    if (t.group === GATEWAY_API_GROUP && t.kind === 'Gateway') return t.name === waypoint.name && ns === waypoint.namespace;
    if (t.group === GATEWAY_API_GROUP && t.kind === 'GatewayClass') return t.name === WAYPOINT_CLASS && ns === this.model.rootNamespace;
    if (!addressed) return false;
    if ((t.group === '' || t.group === 'core') && t.kind === 'Service') return addressed.kind === 'Service' && addressed.name === t.name && addressed.namespace === ns;
    if (t.group === 'networking.istio.io' && t.kind === 'ServiceEntry') return addressed.kind === 'ServiceEntry' && addressed.name === t.name && addressed.namespace === ns;
    return false;
  }

  /** Selector policies that select a waypoint's pods (waypoints ignore them; ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES reads them at L4). */
  public selectorPoliciesOn(waypoint: Waypoint): MeshObject[] {
    return this.model.ofKind('AuthorizationPolicy').filter((p) => {
      if (this.model.isDryRun(p) || (p.namespace !== this.model.rootNamespace && p.namespace !== waypoint.namespace)) return false;
      const sel = this.model.selection(p);
      return sel.mode === 'all' || (sel.mode === 'labels' && Object.entries(sel.labels).every(([k, v]) => waypoint.podLabels[k] === v));
    });
  }

  /** The waypoint's pods as a workload (they are not in the manifests: Istio deploys them). */
  public workloadOf(waypoint: Waypoint): Workload {
    return {
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: waypoint.name, namespace: waypoint.namespace, labels: waypoint.podLabels, annotations: {}, spec: {}, raw: {} },
      namespace: waypoint.namespace, name: waypoint.name, podLabels: { ...waypoint.podLabels, 'istio.io/dataplane-mode': 'none' }, podAnnotations: {},
      serviceAccount: waypoint.serviceAccount, containerPorts: [{ containerPort: 15008, name: 'mesh', protocol: 'TCP' }], runAsUsers: [], hostNetwork: false,
      sidecar: false, ambient: false,
    };
  }
}

const CACHE = new WeakMap<MeshModel, Waypoints>();

/** The model's waypoints, read once per model. */
export function waypointsOf(model: MeshModel): Waypoints {
  let w = CACHE.get(model);
  if (!w) {
    w = new Waypoints(model);
    CACHE.set(model, w);
  }
  return w;
}
