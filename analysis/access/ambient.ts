import { parseProtocol } from '../istio.js';
import { hostMatches, type MeshObject, type Workload } from '../model.js';
import { networkPolicies } from '../network-policy.js';
import { actionOf, rulesOf } from '../policy.js';
import { int, recs, str, strs } from '../values.js';
import { INGRESS_USE_WAYPOINT, unboundText, Waypoint, WaypointBinding, waypointsOf } from '../waypoints.js';
import { EmptySelectorReading, ztunnelDecides } from '../ztunnel.js';
import type { Features } from './features.js';
import { jwtRulesOf } from './jwt.js';
import type { RequestFacts } from './match.js';
import type { AccessSimulator, Client, HopResult, HttpRequest, Outcome, PreparedPolicy, Target } from './simulator.js';
import { AccessRequestError } from './simulator.js';

/**
 * The ambient data plane's path for one request (ISTIO.md §9, §13 items 1–5): how the client
 * sends (ztunnel HBONE with its identity, a sidecar's HBONE or plaintext, plaintext from outside),
 * whether a waypoint is on the path (§9.5), the waypoint's L7 stage (targetRefs policies, JWT,
 * default deny; §9.6), then the destination: ztunnel's L4 stage for an ambient pod (§9.3–§9.4,
 * analysis/ztunnel.ts), the sidecar for a sidecar pod (§8 unchanged), nothing without either.
 * Every reason names the enforcement point: `ztunnel`, `waypoint`, `sidecar` (the ingress
 * gateway's stage is named by the ingress path).
 */

/** How the client addresses the destination: a Service (VIP/name) or a pod IP. */
export type Addressing = 'service' | 'workload';
/** What the client sends: HTTP, or bytes no proxy can read as HTTP (its own TLS, raw TCP). */
export type Scheme = 'http' | 'https' | 'tcp';

export interface HopContext {
  readonly addressing: Addressing;
  readonly scheme?: Scheme;
  readonly assumeValidToken?: boolean;
}

/** Settings of the ambient path that are not in the manifests. */
export interface AmbientSettings {
  readonly features: Features;
  readonly emptySelector?: EmptySelectorReading;
}

type Identity = NonNullable<RequestFacts['peer']>;

/** How a connection arrives at the next hop. */
interface Arrival {
  readonly peer?: Identity;
  /** HBONE (mTLS to 15008) rather than plaintext or Envoy's own mTLS. */
  readonly hbone: boolean;
  /** Envoy (sidecar, gateway) Istio mTLS on the target port. */
  readonly envoyMtls: boolean;
  readonly text: string;
  /** The TCP source address, when known. */
  readonly sourceIp?: string;
}

export class AmbientPath {
  private readonly waypointTargets = new Map<string, Target>();

  public constructor(private readonly sim: AccessSimulator, private readonly settings: AmbientSettings) {}

  private get model() { return this.sim.model; }
  private get waypoints() { return waypointsOf(this.sim.model); }

  /**
   * Whether this path decides the pair: an ambient destination or client, pod-IP addressing, or
   * an ingress gateway told to use the Service's waypoint. Everything else is the sidecar path.
   */
  public involves(client: Client, target: Target, addressing: Addressing = 'service'): boolean {
    if (addressing === 'workload' || target.workload.ambient) return true;
    if (client.kind === 'mesh' && client.ambient) return true;
    return client.kind === 'mesh' && client.gateway === true && target.service !== undefined
      && this.ingressUsesWaypoint(target.service.object) && this.waypoints.forService(target.service).bound;
  }

  /** `istio.io/ingress-use-waypoint: "true"` on the Service or its Namespace, with the feature on (§9.5). */
  private ingressUsesWaypoint(service: MeshObject): boolean {
    if (!this.settings.features.ENABLE_INGRESS_WAYPOINT_ROUTING) return false;
    const label = service.labels[INGRESS_USE_WAYPOINT] ?? this.model.namespaces.get(service.namespace ?? 'default')?.labels[INGRESS_USE_WAYPOINT];
    return label === 'true';
  }

  /** The waypoint as a policy target for traffic to `target` (its targetRefs policies and JWT rules). */
  public waypointTarget(waypoint: Waypoint, target: Target, addressing: Addressing): Target {
    const addressed = addressing === 'service' ? target.service?.object : undefined;
    // The port the client dialled: the Service port, or the container port for a pod IP.
    const port = addressing === 'service' && target.servicePort ? target.servicePort.port : target.containerPort;
    const key = `${waypoint.namespace}/${waypoint.name}\u0000${addressed ? `${addressed.namespace}/${addressed.name}` : '-'}\u0000${port}\u0000${target.http}`;
    let known = this.waypointTargets.get(key);
    if (!known) {
      const policies = this.waypoints.policiesAt('AuthorizationPolicy', waypoint, addressed).map((p) => prepare(p, this.model.localTrustDomains));
      known = {
        workload: this.waypoints.workloadOf(waypoint), containerPort: port, http: target.http,
        where: `waypoint ${waypoint.namespace}/${waypoint.name}`, point: 'waypoint',
        ...(target.service ? { service: target.service } : {}), ...(target.servicePort ? { servicePort: target.servicePort } : {}),
        mode: undefined,
        deny: policies.filter((p) => p.action === 'DENY'), allow: policies.filter((p) => p.action === 'ALLOW'),
        custom: policies.filter((p) => p.action === 'CUSTOM').map((p) => p.label),
        jwtRules: jwtRulesOf(this.waypoints.policiesAt('RequestAuthentication', waypoint, addressed)),
      };
      this.waypointTargets.set(key, known);
    }
    return known;
  }

  /** The waypoint stage a service-addressed request from an ambient client meets, if any (for the matrix's probes and token variants). */
  public serviceWaypointStage(target: Target): Target | undefined {
    if (!target.service) return undefined;
    const binding = this.waypoints.forService(target.service);
    return binding.bound ? this.waypointTarget(binding.waypoint, target, 'service') : undefined;
  }

  /** One hop through the ambient data plane. */
  public async hop(client: Client, base: Target, request: HttpRequest, ctx: HopContext): Promise<HopResult> {
    const http = base.http && (ctx.scheme ?? 'http') === 'http';
    const target: Target = http === base.http ? base : { ...base, http };
    const { workload, where } = target;
    const notes: string[] = [];
    if (ctx.scheme && ctx.scheme !== 'http' && base.http) notes.push(`scheme ${ctx.scheme}: the proxies see no HTTP, so TCP semantics apply`);
    const done = (outcome: Outcome, reason: string, appHeaders: Readonly<Record<string, string>> = {}): HopResult =>
      ({ outcome, reason: [reason, ...notes].join('; '), workload: where, appHeaders });

    // 1. How the client sends.
    const sent = this.send(client, target, ctx.addressing);
    if ('result' in sent) return sent.result;
    let arrival = sent.arrival;

    // 2. The path: a waypoint bound to the Service (service addressing) or the pod (pod IP).
    const binding: WaypointBinding = ctx.addressing === 'service' && target.service ? this.waypoints.forService(target.service) : this.waypoints.forWorkload(workload);
    let via: Waypoint | undefined;
    if (binding.bound) {
      const ambientClient = client.kind === 'mesh' && client.ambient === true;
      const ingress = client.kind === 'mesh' && client.gateway === true && ctx.addressing === 'service' && target.service !== undefined && this.ingressUsesWaypoint(target.service.object);
      if (ambientClient || ingress) via = binding.waypoint;
      else {
        const why = client.kind === 'plain' || !arrival.peer ? 'plaintext client'
          : client.gateway ? `ingress gateway without ${INGRESS_USE_WAYPOINT}: "true" on the Service or its Namespace${this.settings.features.ENABLE_INGRESS_WAYPOINT_ROUTING ? '' : ' (or ENABLE_INGRESS_WAYPOINT_ROUTING off)'}`
            : 'sidecar client: sidecars go straight to the pod (istio/istio#51445)';
        notes.push(`BYPASS(${why}): waypoint ${binding.waypoint.namespace}/${binding.waypoint.name} is not on the path`);
      }
    } else if (binding.reason.kind !== 'unlabelled') {
      notes.push(`BYPASS(${unboundText(binding.reason)}): no waypoint, traffic goes direct`);
    }

    // 3. NetworkPolicy on each wire hop (HBONE: pod → pod:15008; plaintext: the target port).
    const wire = this.wire(client, target, arrival, via);
    if (wire.dropped) return done('dropped', wire.dropped);
    notes.push(...wire.notes);

    // 4. The waypoint: its targetRefs policies see the client's identity; it then calls the
    //    destination with its own (§9.6).
    let headers = request.headers;
    if (via) {
      const stage = this.waypointTarget(via, target, ctx.addressing);
      if (this.settings.features.ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES) {
        const layered = this.waypoints.selectorPoliciesOn(via).map((p) => prepare(p, this.model.localTrustDomains));
        if (layered.length > 0) {
          const l4: Target = { ...stage, http: false, deny: layered.filter((p) => p.action === 'DENY'), allow: layered.filter((p) => p.action === 'ALLOW'), custom: [], where: `waypoint ${via.namespace}/${via.name} (HBONE termination, ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES)` };
          const r = this.sim.authorize(l4, arrival.peer, arrival.text, request, undefined);
          if (r.outcome !== 'allow') return done('reset', r.reason);
        }
      }
      const jwt = await this.sim.jwtStage(stage, request, ctx.assumeValidToken === true);
      const r = this.sim.authorize(stage, arrival.peer, arrival.text, request, jwt);
      if (r.outcome !== 'allow') return done(r.outcome, r.reason);
      notes.unshift(r.reason);
      headers = r.appHeaders;
      arrival = {
        peer: { trustDomain: this.model.trustDomain, namespace: via.namespace, serviceAccount: via.serviceAccount },
        hbone: true, envoyMtls: false, text: `HBONE from waypoint ${via.namespace}/${via.name} as ${this.model.trustDomain}/ns/${via.namespace}/sa/${via.serviceAccount} (not the client's identity)`,
      };
    }

    // 5. The destination.
    if (workload.ambient) {
      const implicit = this.implicitWaypoint(workload);
      const verdict = ztunnelDecides(this.model, workload, {
        ...(arrival.peer ? { peer: arrival.peer } : {}), ...(arrival.sourceIp ? { sourceIp: arrival.sourceIp } : {}), port: target.containerPort,
      }, { autoAllowWaypoint: this.settings.features.PILOT_AUTO_ALLOW_WAYPOINT_POLICY, ...(this.settings.emptySelector ? { emptySelector: this.settings.emptySelector } : {}) }, implicit);
      if ('unknown' in verdict) throw new AccessRequestError(`ztunnel ${where}: ${verdict.unknown}.`);
      const text = `ztunnel ${where}: ${verdict.reason} (${arrival.text})`;
      return verdict.allowed ? done('allow', text, headers) : done('reset', `${text}: the connection is closed`);
    }
    if (workload.sidecar === true) {
      const mode = target.mode ?? this.model.effectiveMtls(workload, target.containerPort);
      const decided = mode.decidedBy ? `PeerAuthentication ${mode.decidedBy.namespace}/${mode.decidedBy.name}` : 'the default';
      const encrypted = arrival.hbone || arrival.envoyMtls;
      if (mode.mode === 'STRICT' && !encrypted) return done('reset', `sidecar ${where}: ${arrival.text} against mTLS STRICT (${decided}): the connection is reset`);
      if (mode.mode === 'DISABLE' && arrival.envoyMtls) return done('reset', `sidecar ${where}: ${arrival.text} against mTLS DISABLE (${decided}): the handshake fails (503 at the client)`);
      const next: HttpRequest = { ...request, headers };
      const jwt = await this.sim.jwtStage(target, next, ctx.assumeValidToken === true);
      const r = this.sim.authorize(target, encrypted ? arrival.peer : undefined, arrival.text, next, jwt);
      return done(r.outcome, r.reason, r.appHeaders);
    }
    const unknown = workload.sidecar === undefined ? ` (namespace ${workload.namespace} is not in the manifests: assumed outside the mesh)` : '';
    return done('allow', `${where}: neither a sidecar nor ambient${unknown}, so nothing enforces policy at the destination (${arrival.text})`, headers);
  }

  /**
   * A request from an ambient workload to a host outside the cluster (ISTIO.md §11.5, §13 item 11):
   * ztunnel has no registry filter (`exportTo` is ignored too). A ServiceEntry for the host and port
   * bound to a waypoint sends it through that waypoint, whose `targetRefs` policies (to the
   * ServiceEntry, its Gateway, the GatewayClass) see the client's identity; anything else goes
   * direct. NetworkPolicy applies on each wire hop.
   */
  public external(client: Extract<Client, { kind: 'mesh' }>, host: string, port: number): { outcome: Outcome; reason: string } {
    // A toHost request carries no token (as for sidecar callers): RequestAuthentications there see none.
    const request: HttpRequest = { method: 'GET', path: '/', host, headers: {} };
    const where = `${host}:${port}`;
    const entries = this.model.ofKind('ServiceEntry').filter((se) => strs(se.spec.hosts).some((h) => hostMatches(h, host))
      && (recs(se.spec.ports).length === 0 || recs(se.spec.ports).some((p) => int(p.number) === port)));
    const bound = entries.map((se) => ({ se, binding: this.waypoints.forService(se) })).find((e) => e.binding.bound);
    const external = { peer: { kind: 'external' as const, description: `external host ${host}` }, label: `external host ${host}` };
    const src = this.sim.podEndpoint(client.workload!, `${client.namespace}/${client.workload!.name}`);
    const netCheck = (from: typeof src, to: typeof src | typeof external, wirePort: number): string | string[] => {
      if (networkPolicies(this.model).length === 0) return [];
      const net = this.sim.decideNetwork(from, to, wirePort, 'TCP');
      return net.allowed ? net.notes : net.reason;
    };
    if (!bound || !bound.binding.bound) {
      const why = entries.length === 0 ? `no ServiceEntry for ${where}` : `ServiceEntry ${entries.map((e) => `${e.namespace}/${e.name}`).join(', ')} has no waypoint${entries.map((e) => this.waypoints.forService(e)).filter((b): b is Extract<WaypointBinding, { bound: false }> => !b.bound && b.reason.kind !== 'unlabelled').map((b) => ` (BYPASS(${unboundText(b.reason)}))`).join('')}`;
      const net = netCheck(src, external, port);
      if (typeof net === 'string') return { outcome: 'dropped', reason: `${where}: ${net}` };
      return { outcome: 'allow', reason: [`${where}: ${why}: ztunnel of ${client.label} sends it direct (ambient has no registry filter)`, ...net].join('; ') };
    }
    const { se, binding } = bound;
    const wp = binding.waypoint;
    const wpEnd = this.sim.podEndpoint(this.waypoints.workloadOf(wp), `waypoint ${wp.namespace}/${wp.name}`);
    const toWaypoint = netCheck(src, wpEnd, 15008);
    if (typeof toWaypoint === 'string') return { outcome: 'dropped', reason: `waypoint ${wp.namespace}/${wp.name}: ${toWaypoint}` };
    const sePort = recs(se.spec.ports).find((p) => int(p.number) === port);
    const protocol = parseProtocol(str(sePort?.protocol) ?? '') ?? 'unknown';
    const http = protocol === 'http';
    const policies = this.waypoints.policiesAt('AuthorizationPolicy', wp, se).map((p) => prepare(p, this.model.localTrustDomains));
    const stage: Target = {
      workload: this.waypoints.workloadOf(wp), containerPort: port, http, where: `waypoint ${wp.namespace}/${wp.name}`, point: 'waypoint', mode: undefined,
      deny: policies.filter((p) => p.action === 'DENY'), allow: policies.filter((p) => p.action === 'ALLOW'),
      custom: policies.filter((p) => p.action === 'CUSTOM').map((p) => p.label),
      jwtRules: jwtRulesOf(this.waypoints.policiesAt('RequestAuthentication', wp, se)),
    };
    const peer = { trustDomain: this.model.trustDomain, namespace: client.namespace, serviceAccount: client.serviceAccount };
    const text = `HBONE from ${client.label} as ${peer.trustDomain}/ns/${peer.namespace}/sa/${peer.serviceAccount}; ServiceEntry ${se.namespace}/${se.name} uses waypoint ${wp.namespace}/${wp.name}`;
    const r = this.sim.authorize(stage, peer, text, request, undefined);
    if (r.outcome !== 'allow') return { outcome: r.outcome, reason: r.reason };
    const targetPort = int(sePort?.targetPort) ?? port;
    const out = netCheck(wpEnd, external, targetPort);
    if (typeof out === 'string') return { outcome: 'dropped', reason: `${where}: ${out}` };
    return { outcome: 'allow', reason: [r.reason, ...toWaypoint, ...out].join('; ') };
  }

  /** The waypoint identity PILOT_AUTO_ALLOW_WAYPOINT_POLICY allows for a workload: its own waypoint, else its Services'. */
  private implicitWaypoint(workload: Workload): { namespace: string; serviceAccount: string } | undefined {
    const own = this.waypoints.forWorkload(workload);
    const binding = own.bound ? own : this.model.servicesOf(workload).map((s) => this.waypoints.forService(s)).find((b) => b.bound);
    return binding?.bound ? { namespace: binding.waypoint.namespace, serviceAccount: binding.waypoint.serviceAccount } : undefined;
  }

  /** Step 1: what leaves the client, or the client's own proxy refusing it. */
  private send(client: Client, target: Target, addressing: Addressing): { result: HopResult } | { arrival: Arrival } {
    const { workload } = target;
    if (client.kind === 'plain') {
      return { arrival: { hbone: false, envoyMtls: false, text: `plaintext from ${client.label}${client.ip ? ` (${client.ip})` : ''}, no identity`, ...(client.ip ? { sourceIp: client.ip } : {}) } };
    }
    const identity: Identity = { trustDomain: this.model.trustDomain, namespace: client.namespace, serviceAccount: client.serviceAccount };
    const principal = `${identity.trustDomain}/ns/${identity.namespace}/sa/${identity.serviceAccount}`;
    if (client.ambient) {
      // ztunnel: HBONE to ambient pods, waypoints and HBONE-capable sidecars; plaintext to the rest (§9.2).
      const receivesHbone = workload.ambient || (workload.sidecar === true && this.hboneSidecar(workload));
      return { arrival: receivesHbone
        ? { peer: identity, hbone: true, envoyMtls: false, text: `HBONE from ${client.label} (ztunnel) as ${principal}` }
        : { hbone: false, envoyMtls: false, text: `plaintext from ${client.label} (ztunnel: the destination takes no HBONE)` } };
    }
    // An Envoy client: a sidecar (with its outbound scope) or the ingress gateway.
    const outbound = this.sim.sidecarOutbound(client, target, addressing);
    if ('result' in outbound) return { result: outbound.result };
    if (outbound.passthrough) return { arrival: { hbone: false, envoyMtls: false, text: `plaintext passthrough from ${client.label}, no identity (${outbound.passthrough})` } };
    const hbone = this.settings.features.ISTIO_META_ENABLE_HBONE || client.workload?.podLabels['networking.istio.io/tunnel'] === 'http';
    if (workload.ambient) {
      return { arrival: hbone
        ? { peer: identity, hbone: true, envoyMtls: false, text: `HBONE from ${client.label} as ${principal}` }
        // Ambient pods lack security.istio.io/tlsMode=istio, so auto mTLS sends plaintext (§9.4).
        : { hbone: false, envoyMtls: false, text: `plaintext from ${client.label} (no HBONE: ISTIO_META_ENABLE_HBONE off; auto mTLS sees no tlsMode label)` } };
    }
    if (workload.sidecar === true) return { arrival: { peer: identity, hbone: false, envoyMtls: true, text: `auto mTLS from ${client.label}` } };
    return { arrival: { hbone: false, envoyMtls: false, text: `plaintext from ${client.label} (auto mTLS: no sidecar)` } };
  }

  private hboneSidecar(w: Workload): boolean {
    return this.settings.features.ISTIO_META_ENABLE_HBONE || w.podLabels['networking.istio.io/tunnel'] === 'http';
  }

  /** Step 3: NetworkPolicy on the wire, client → [waypoint →] destination. */
  private wire(client: Client, target: Target, arrival: Arrival, via: Waypoint | undefined): { dropped?: string; notes: string[] } {
    if (networkPolicies(this.model).length === 0) return { notes: [] };
    const src = this.sim.clientEndpoint(client);
    if (!src) return { notes: [] };
    const dst = this.sim.podEndpoint(target.workload, target.where.replace(/:\d+$/, ''));
    const protocol = target.servicePort?.protocol ?? 'TCP';
    const notes: string[] = [];
    if (via) {
      const wp = this.sim.podEndpoint(this.waypoints.workloadOf(via), `waypoint ${via.namespace}/${via.name}`);
      for (const [from, to] of [[src, wp], [wp, dst]] as const) {
        const net = this.sim.decideNetwork(from, to, 15008, 'TCP');
        if (!net.allowed) return { dropped: `${to.label}: ${net.reason}`, notes };
        notes.push(...net.notes);
      }
      return { notes };
    }
    const receivesHbone = arrival.hbone;
    const net = this.sim.decideNetwork(src, dst, receivesHbone ? 15008 : target.containerPort, receivesHbone ? 'TCP' : protocol);
    if (!net.allowed) return { dropped: `${target.where}: ${net.reason}`, notes };
    return { notes: net.notes };
  }
}

/** A policy as Envoy (the waypoint) matches it: principals with the mesh's trust-domain aliases. */
function prepare(policy: MeshObject, localTrustDomains: ReadonlySet<string>): PreparedPolicy {
  return {
    action: actionOf(policy), label: `ns[${policy.namespace}]-policy[${policy.name}]`, rules: rulesOf(policy),
    ctx: { localTrustDomains, policyNamespace: policy.namespace ?? 'default' },
  };
}
