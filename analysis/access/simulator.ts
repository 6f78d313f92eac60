import type { EffectiveMtls, MeshModel, ServiceInfo, ServicePortInfo, Workload } from '../model.js';
import type { RuleView } from '../policy.js';
import { actionOf, rulesOf } from '../policy.js';
import { recs, strs } from '../values.js';
import { JwtClaims, JwtRule, JwtValidator, JwtVerdict, jwtRulesOf, JwksResolver } from './jwt.js';
import { claimPath, MatchContext, RequestFacts, ruleMatches } from './match.js';
import { routeThroughIngress } from './ingress-route.js';
import { gatewayApiIngressTo, gatewayApiRequest, GatewayApiFeatures, gatewayNamed } from './gateway-api-route.js';
import { isMeshExternal, outboundPolicy, serviceEntriesFor, serviceExportedTo, serviceHost, sidecarImports } from '../egress.js';
import { destinationRuleTls, egressGatewayPods, EgressGatewayRoute, meshRouteToEgressGateway, serverIsHttp, serverTlsMode } from '../egress-gateway.js';
import type { OutboundTrafficPolicy, MeshObject } from '../model.js';
import { gatewayPods, hostMatches } from '../model.js';
import { Direction, explainAllows, networkPolicies, Peer, podPeer, portOn, PortProtocol } from '../network-policy.js';
import type { EmptySelectorReading } from '../ztunnel.js';
import { Addressing, AmbientPath, Scheme } from './ambient.js';
import { Features, resolveFeatures } from './features.js';

export type OutboundTrafficPolicyMode = OutboundTrafficPolicy;

/**
 * What a caller's sidecar knows of the mesh, from analysis/egress.ts (the analyzer's reading):
 * its Sidecar resource and the outbound traffic policy in force
 * (https://istio.io/latest/docs/reference/config/networking/sidecar/). A host the sidecar does not
 * import is unknown to it: under REGISTRY_ONLY the request is blocked by the caller's own proxy
 * (502 for HTTP, a closed connection for TCP via BlackHoleCluster); under ALLOW_ANY it is passed
 * through in plaintext, with no identity.
 */
export interface SidecarScope {
  /** The Sidecar resource, or undefined for the built-in default (imports every exported host). */
  readonly sidecar?: MeshObject;
  readonly mode: OutboundTrafficPolicyMode;
  /** Where the mode came from, for reasons. */
  readonly modeFrom: string;
}

/** One end of a connection as NetworkPolicy sees it (analysis/network-policy.ts), with its label for reasons. */
export type NetEndpoint = { readonly peer: Peer; readonly label: string; readonly workload?: Workload };

/**
 * An offline model of Istio's access decision for one request
 * (https://istio.io/latest/docs/concepts/security/): the client's transport, the server's
 * effective mTLS mode, the JWT stage, then CUSTOM/DENY/ALLOW. Driven by manifests only (a
 * `MeshModel`); every verdict carries its reason.
 */

/** `allow`; `deny-401` (JWT rejected); `deny-403` (RBAC, or the JWT's audience); `reset` (mTLS
 * mismatch, or a TCP connection closed by policy); `no-route` (the ingress gateway routes nothing
 * there: 404, or a Service without workloads: 503); `blocked` (the caller's own sidecar does not
 * know the host and the outbound traffic policy is REGISTRY_ONLY: 502 for HTTP, the connection
 * closed for TCP/TLS); `dropped` (a Kubernetes NetworkPolicy drops the packets: the connection
 * times out). */
export type Outcome = 'allow' | 'deny-401' | 'deny-403' | 'reset' | 'no-route' | 'blocked' | 'dropped';

export interface Verdict {
  readonly outcome: Outcome;
  readonly reason: string;
}

/** Who sends the request. */
export type AccessSource =
  | { readonly workload: string }
  /** A client outside the mesh; `ip` is its source address, for `ipBlocks` and NetworkPolicy. */
  | { readonly outside: true; readonly ip?: string }
  | { readonly ingress: true };

/** One request, in the CLI's JSON form. */
export interface AccessRequest {
  readonly from: AccessSource;
  /** `namespace/service`; give it or `toHost`. */
  readonly to?: string;
  /**
   * A host outside the cluster (`api.stripe.com`), for egress: decided by the caller's Sidecar
   * scope (a ServiceEntry for it, or ALLOW_ANY passthrough) and its NetworkPolicy egress.
   */
  readonly toHost?: string;
  /** The Service port, or with `toHost` the external host's port. */
  readonly port: number;
  /** @default 'GET' */
  readonly method?: string;
  /** @default '/' */
  readonly path?: string;
  /** Header names are case-insensitive. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A compact JWT, sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /**
   * `service` (the default): the client calls the Service. `workload`: it dials the pod IP
   * directly, `to` names the workload (`namespace/name`, or a Service whose pods are dialled) and
   * `port` is the container port; a Service's waypoint is then not on the path (ISTIO.md §9.5).
   * @default 'service'
   */
  readonly addressing?: Addressing;
  /**
   * What the client speaks: `http`, or `https`/`tcp` (its own TLS, raw TCP), which no proxy reads
   * as HTTP, so TCP semantics apply to its policies.
   * @default - http on HTTP ports, tcp otherwise
   */
  readonly scheme?: Scheme;
}

/** A request the simulator cannot evaluate (unknown service, port or workload): a usage error. */
export class AccessRequestError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'AccessRequestError';
  }
}

/** The ingress gateway's pods, which the manifests usually do not contain (Helm installs them). */
export interface IngressGatewayIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface SimulatorOptions {
  /** JWKS JSON by URI, used instead of fetching; an unmapped URI behaves as unreachable. */
  readonly jwks?: Readonly<Record<string, string>>;
  /**
   * The ingress gateway's identity and labels.
   * @default - Istio's Helm `gateway` chart installed as `istio-ingressgateway` in the root namespace
   */
  readonly ingressGateway?: IngressGatewayIdentity;
  /** The clock for token expiry. @default - now */
  readonly now?: Date;
  /**
   * meshConfig `outboundTrafficPolicy.mode`, for callers whose Sidecar sets none.
   * @default 'ALLOW_ANY'
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicyMode;
  /**
   * istiod and proxy features that change verdicts, `NAME` → Go boolean text (see
   * analysis/access/features.ts for the modelled names and Istio's defaults).
   * @default {} (Istio 1.30's defaults with the ambient profile)
   */
  readonly features?: Readonly<Record<string, string>>;
  /**
   * How ztunnel attaches a policy with an empty selector, which is not established (ISTIO.md §9.3):
   * `all` workloads or `none`. Left unset, a request that depends on it is refused as unknown.
   * @default - undecided
   */
  readonly ztunnelEmptySelector?: EmptySelectorReading;
}

/**
 * A client as the server-side proxy sees it. `workload` is the client's pod, for NetworkPolicy
 * and its Sidecar scope: absent for the outside client (an out-of-cluster address) and for a
 * stand-in caller; `gateway` marks the ingress gateway, which no Sidecar resource configures.
 */
export type Client =
  | { readonly kind: 'plain'; readonly label: string; readonly workload?: Workload; readonly ip?: string }
  | {
    readonly kind: 'mesh'; readonly label: string; readonly namespace: string; readonly serviceAccount: string; readonly workload?: Workload; readonly gateway?: boolean;
    /** An ambient pod: ztunnel sends for it (HBONE, its identity; no Sidecar scope). */
    readonly ambient?: boolean;
  };

/** What one hop produces: the verdict, and the headers the destination app receives. */
export interface HopResult extends Verdict {
  /** The server workload that decided. */
  readonly workload?: string;
  /** Headers reaching the app (the token is gone unless forwarded). */
  readonly appHeaders: Readonly<Record<string, string>>;
}

/** An AuthorizationPolicy, parsed once per target. */
export interface PreparedPolicy {
  readonly action: string;
  readonly label: string;
  readonly rules: readonly RuleView[];
  readonly ctx: MatchContext;
}

/** One workload behind a Service port, with what no request changes about it. */
export interface Target {
  readonly workload: Workload;
  readonly containerPort: number;
  readonly http: boolean;
  /** `namespace/workload:containerPort`, for reasons. */
  readonly where: string;
  readonly service?: ServiceInfo;
  readonly servicePort?: ServicePortInfo;
  /** The effective mTLS mode; undefined without a sidecar. */
  readonly mode: EffectiveMtls | undefined;
  readonly deny: readonly PreparedPolicy[];
  readonly allow: readonly PreparedPolicy[];
  readonly custom: readonly string[];
  readonly jwtRules: readonly JwtRule[];
  /**
   * The proxy that enforces this target's policies, named in reasons: a workload's `sidecar`
   * (its reasons read `sidecar ns/name:port: ...`), the ingress `gateway`, a `waypoint`
   * (their `where` names them). Undefined where no proxy enforces anything.
   */
  readonly point?: 'sidecar' | 'gateway' | 'waypoint';
}

/** A request as the proxies see it (lower-case header names). */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The SNI the client sends, when a DestinationRule sets it (`tls.sni`); else the outbound cluster's name. */
  readonly sni?: string;
}

const lowerKeys = (headers: Readonly<Record<string, string>> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

export class AccessSimulator {
  public readonly ingressGateway: IngressGatewayIdentity;
  public readonly outboundTrafficPolicy: OutboundTrafficPolicyMode;
  /** The features the Gateway API ingress path reads, from `features`. */
  public readonly gatewayApiFeatures: GatewayApiFeatures;
  private readonly jwt: JwtValidator;
  private readonly targets = new Map<string, Target[]>();
  private readonly scopes = new Map<Workload, SidecarScope>();
  /** The feature flags in force (analysis/access/features.ts). */
  public readonly features: Features;
  /** The ambient data plane's path (analysis/access/ambient.ts). */
  public readonly ambient: AmbientPath;

  public constructor(public readonly model: MeshModel, options: SimulatorOptions = {}) {
    const features = resolveFeatures(options.features);
    if ('error' in features) throw new AccessRequestError(features.error);
    this.features = features;
    this.ambient = new AmbientPath(this, { features, ...(options.ztunnelEmptySelector ? { emptySelector: options.ztunnelEmptySelector } : {}) });
    const jwks = options.jwks ?? {};
    const resolve: JwksResolver = (uri) => (Object.hasOwn(jwks, uri) ? jwks[uri] : undefined);
    this.jwt = new JwtValidator(resolve, options.now ?? new Date());
    this.ingressGateway = options.ingressGateway
      ?? { namespace: model.rootNamespace, serviceAccount: 'istio-ingressgateway', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } };
    this.outboundTrafficPolicy = options.outboundTrafficPolicy ?? 'ALLOW_ANY';
    this.gatewayApiFeatures = { selectorBasedGatewayPolicy: features.ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY };
  }

  /**
   * Whether callers can differ in more than their identity: NetworkPolicies, Sidecar resources,
   * Service `exportTo` or REGISTRY_ONLY make a caller's pod, namespace and scope matter.
   */
  public get callerScoped(): boolean {
    return networkPolicies(this.model).length > 0 || this.model.ofKind('Sidecar').length > 0 || this.outboundTrafficPolicy !== 'ALLOW_ANY'
      || this.model.services.some((s) => s.object.annotations['networking.istio.io/exportTo'] !== undefined);
  }

  /**
   * Evaluates one request end to end (for `ingress`, the gateway hop and then the service hop).
   * `assumeValidToken` replaces the token with a symbolic valid one at every JWT stage (see
   * `symbolicValidToken`); the access matrix uses it where no private key is at hand.
   */
  public async check(request: AccessRequest, options: { readonly assumeValidToken?: boolean } = {}): Promise<Verdict> {
    const assume = options.assumeValidToken === true;
    if (request.toHost !== undefined) {
      if (request.to !== undefined) throw new AccessRequestError('give "to" (a Service) or "toHost" (an external host), not both.');
      return this.checkExternal(request.from, request.toHost, request.port, request);
    }
    if (request.to === undefined) throw new AccessRequestError('give the destination as "to": "namespace/service" or "toHost": "host".');
    const headers = lowerKeys(request.headers);
    if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
    // A Gateway API gateway Istio deploys (`<ns>/<gateway>-istio`), entered with a Host header.
    const gateway = gatewayNamed(this, request.to);
    if (gateway) {
      const http: HttpRequest = { method: request.method ?? 'GET', path: request.path ?? '/', host: headers.host ?? '', headers };
      const hop = await gatewayApiRequest(this, gateway, request, http, assume, this.gatewayApiFeatures);
      return { outcome: hop.outcome, reason: hop.reason };
    }
    if (request.addressing === 'workload') return this.checkPodAddressed(request, headers, assume);
    const { service, port } = this.target(request.to, request.port);
    const http: HttpRequest = {
      method: request.method ?? 'GET', path: request.path ?? '/',
      host: headers.host ?? `${service.name}.${service.namespace}.svc.cluster.local:${port.port}`, headers,
    };
    if ('ingress' in request.from) {
      const hop = await this.ingressHop(service, port, http, assume, headers);
      return { outcome: hop.outcome, reason: hop.reason };
    }
    const hop = await this.hop(this.clientOf(request.from), service, port, http, assume, request.scheme);
    return { outcome: hop.outcome, reason: hop.reason };
  }

  /** The client a request's `from` names (not the ingress gateway). */
  private clientOf(from: AccessSource): Client {
    if ('ingress' in from) throw new AccessRequestError('the ingress gateway calls Services only: drop "addressing": "workload".');
    if ('outside' in from) return { kind: 'plain', label: 'outside', ...(from.ip !== undefined ? { ip: from.ip } : {}) };
    return this.meshClient(from.workload);
  }

  /**
   * A request to a pod IP (`"addressing": "workload"`): `to` names a workload, or a Service whose
   * pods are dialled; `port` is the container port. Only a workload waypoint is on the path.
   */
  private async checkPodAddressed(request: AccessRequest, headers: Record<string, string>, assume: boolean): Promise<Verdict> {
    const client = this.clientOf(request.from);
    const [namespace, name] = request.to!.split('/');
    const named = this.model.workloads.find((w) => w.namespace === namespace && w.name === name);
    const service = named ? undefined : this.model.services.find((s) => s.namespace === namespace && s.name === name);
    const workloads = named ? [named] : service ? this.model.workloadsOf(service) : [];
    if (workloads.length === 0) {
      throw new AccessRequestError(`"${request.to}" is neither a workload nor a Service with pods in the manifests; with "addressing": "workload" name the pods' Deployment as namespace/name.`);
    }
    const results: HopResult[] = [];
    for (const workload of [...workloads].sort((a, b) => a.name.localeCompare(b.name))) {
      const protocol = this.model.portProtocol(workload, request.port);
      const http = protocol === 'http' || protocol === 'unknown';
      const target = this.prepare(workload, request.port, http, `${workload.namespace}/${workload.name}:${request.port}`);
      const facts: HttpRequest = { method: request.method ?? 'GET', path: request.path ?? '/', host: headers.host ?? `${workload.name}:${request.port}`, headers };
      results.push(await this.ambient.hop(client, target, facts, { addressing: 'workload', ...(request.scheme ? { scheme: request.scheme } : {}), assumeValidToken: assume }));
    }
    const result = results.find((r) => r.outcome !== 'allow') ?? results[0]!;
    return { outcome: result.outcome, reason: result.reason };
  }

  /** The Service and Service port a request names. */
  public target(to: string, portNumber: number): { service: ServiceInfo; port: ServicePortInfo } {
    const [namespace, name] = to.split('/');
    const service = namespace !== undefined && name !== undefined ? this.model.service(namespace, name) : undefined;
    if (!service || !name) {
      throw new AccessRequestError(`"${to}" is not a Service in the manifests; name it as namespace/service (known: ${this.model.services.map((s) => `${s.namespace}/${s.name}`).sort().join(', ') || 'none'}).`);
    }
    const port = service.ports.find((p) => p.port === portNumber);
    if (!port) {
      const defined = service.object.file ? ` as defined in ${service.object.file}` : '';
      const twice = this.model.objects.filter((s) => s.kind === 'Service' && s.namespace === service.namespace && s.name === service.name).length > 1
        ? ' (it is defined more than once; the last definition counts, as kubectl apply leaves it, see ZT003)' : '';
      throw new AccessRequestError(`Service ${to}${defined} has no port ${portNumber} (ports: ${service.ports.map((p) => p.port).join(', ') || 'none'})${twice}.`);
    }
    return { service, port };
  }

  /** A workload by `namespace/name`, as a client: its identity if it has a sidecar. */
  public meshClient(ref: string): Client {
    const [namespace, name] = ref.split('/');
    const workload = this.model.workloads.find((w) => w.namespace === namespace && w.name === name);
    if (!workload) {
      throw new AccessRequestError(`"${ref}" is not a workload in the manifests; name a Deployment as namespace/name (known: ${this.model.workloads.map((w) => `${w.namespace}/${w.name}`).sort().join(', ') || 'none'}).`);
    }
    if (workload.ambient) return { kind: 'mesh', label: `${ref} (ambient)`, namespace: workload.namespace, serviceAccount: workload.serviceAccount, workload, ambient: true };
    return workload.sidecar === true
      ? { kind: 'mesh', label: ref, namespace: workload.namespace, serviceAccount: workload.serviceAccount, workload }
      : { kind: 'plain', label: `${ref} (no sidecar)`, workload };
  }

  /** The ingress gateway as a client of the mesh. */
  public gatewayClient(): Client {
    const { namespace, serviceAccount } = this.ingressGateway;
    return { kind: 'mesh', label: `ingress gateway ${namespace}/${serviceAccount}`, namespace, serviceAccount, workload: this.gatewayWorkload(), gateway: true };
  }

  /** The caller's Sidecar scope (sidecar callers only; gateways get the default scope). */
  public scopeOf(workload: Workload): SidecarScope {
    let scope = this.scopes.get(workload);
    if (!scope) {
      const policy = outboundPolicy(this.model, workload, this.outboundTrafficPolicy);
      const modeFrom = policy.source === 'sidecar' ? `Sidecar ${policy.sidecar!.namespace}/${policy.sidecar!.name}` : 'the mesh\'s outboundTrafficPolicy';
      scope = { ...(policy.sidecar ? { sidecar: policy.sidecar } : {}), mode: policy.mode, modeFrom };
      this.scopes.set(workload, scope);
    }
    return scope;
  }

  /**
   * A request from a workload to a host outside the cluster: the caller's sidecar must know the
   * host (a ServiceEntry exported to its namespace and imported by its Sidecar) or pass unknown
   * hosts through (ALLOW_ANY), and its NetworkPolicy egress must allow the port to an `ipBlock`
   * covering external addresses. When a mesh route sends the host to an egress gateway, the hop to
   * the gateway is decided instead (`throughEgressGateway`). Nothing beyond is simulated.
   */
  public checkExternal(from: AccessSource, host: string, port: number, request: Pick<AccessRequest, 'method' | 'path' | 'headers'> = {}): Verdict {
    if (!('workload' in from)) throw new AccessRequestError('"toHost" needs a workload as "from": the outside client and the ingress gateway do not call external hosts here.');
    const client = this.meshClient(from.workload);
    if (client.kind === 'mesh' && client.ambient) return this.ambient.external(client, host, port);
    const workload = client.workload!;
    const where = `${host}:${port}`;
    let wirePort = port;
    let via: string;
    if (workload.sidecar !== true) {
      via = `${client.label}: Istio does not control its egress`;
    } else {
      const scope = this.scopeOf(workload);
      const entries = serviceEntriesFor(this.model, host, port, workload.namespace);
      // Each host of a ServiceEntry is a registry service of its own, imported by its name
      // (istio:pilot/pkg/serviceregistry/serviceentry/conversion.go makes one per host): only the
      // hosts that match the one asked for count, not the entry's other hosts.
      const routed = entries.find((se) => strs(se.spec.hosts).some((h) => hostMatches(h, host) && sidecarImports(scope.sidecar, se.namespace ?? 'default', h, port)));
      if (routed) {
        const sePort = recs(routed.spec.ports).find((p) => Number(p.number) === port);
        const target = Number(sePort?.targetPort);
        if (Number.isInteger(target) && target > 0) wirePort = target;
        via = `ServiceEntry ${routed.namespace}/${routed.name}${isMeshExternal(routed) ? '' : ' (MESH_INTERNAL)'} is imported by ${scope.sidecar ? `Sidecar ${scope.sidecar.namespace}/${scope.sidecar.name}` : 'the default scope'} of ${client.label}`;
        const viaGateway = meshRouteToEgressGateway(this.model, host, port, workload.namespace);
        if (viaGateway) return this.throughEgressGateway(client, workload, from.workload, host, port, viaGateway, request, via);
      } else {
        const why = entries.length === 0
          ? `no ServiceEntry for ${where} is exported to namespace ${workload.namespace}`
          : `Sidecar ${scope.sidecar!.namespace}/${scope.sidecar!.name} does not import ${host} (ServiceEntry ${entries.map((e) => `${e.namespace}/${e.name}`).join(', ')})`;
        if (scope.mode === 'REGISTRY_ONLY') {
          return { outcome: 'blocked', reason: `${where}: ${why}; outboundTrafficPolicy REGISTRY_ONLY (${scope.modeFrom}): blocked by the sidecar of ${client.label} (502 for HTTP, connection closed for TLS/TCP)` };
        }
        via = `${why}; outboundTrafficPolicy ALLOW_ANY (${scope.modeFrom}): passed through by the sidecar of ${client.label}`;
      }
    }
    const net = this.decideNetwork(this.podEndpoint(workload, from.workload), { peer: { kind: 'external', description: `external host ${host}` }, label: `external host ${host}` }, wirePort, 'TCP');
    if (!net.allowed) return { outcome: 'dropped', reason: `${where}: ${net.reason}` };
    return { outcome: 'allow', reason: `${where}: ${[via, ...net.notes].join('; ')}` };
  }

  /**
   * The hop from a caller's sidecar to the egress gateway a mesh route sends an external host to
   * (ISTIO.md §11.4): NetworkPolicy from the caller's pod to the gateway's pods, the transport the
   * caller's DestinationRule sets (gateway pods carry no `security.istio.io/tlsMode` label, so
   * without a DestinationRule auto mTLS sends plaintext), the Gateway server that takes it (only
   * `ISTIO_MUTUAL` terminates Istio mTLS, so only then does the gateway know the caller), and the
   * gateway's own AuthorizationPolicies, with the host as SNI and Host. The gateway's own way out
   * (its NetworkPolicy, the internet) is not simulated.
   */
  private throughEgressGateway(client: Client, workload: Workload, label: string, host: string, port: number, route: EgressGatewayRoute,
    request: Pick<AccessRequest, 'method' | 'path' | 'headers'>, scopeNote: string): Verdict {
    const where = `${host}:${port}`;
    const gatewayName = `${route.gateway.namespace}/${route.gateway.name}`;
    const gatewayHost = `${route.serviceName}.${route.serviceNamespace}.svc.cluster.local`;
    const service = this.model.service(route.serviceNamespace, route.serviceName);
    const servicePort = service?.ports.find((p) => p.port === route.port);
    // The gateway's pods are rarely in the manifests (Helm installs them): the Service's target
    // port when the Service is there, else the Service port (Istio's Helm gateway chart listens on it).
    const wirePort = servicePort?.targetPort !== undefined && typeof servicePort.targetPort === 'number' ? servicePort.targetPort : route.port;
    const routed = `${scopeNote}; VirtualService ${route.virtualService.namespace}/${route.virtualService.name} ${route.where} sends it to the egress gateway ${gatewayHost}:${route.port}${route.subset ? ` (subset ${route.subset})` : ''}`;
    const gatewayPods = egressGatewayPods(route);
    const net = this.decideNetwork(this.podEndpoint(workload, label), this.podEndpoint(gatewayPods, `egress gateway ${gatewayName}`), wirePort, 'TCP');
    if (!net.allowed) return { outcome: 'dropped', reason: `${where}: ${routed}; ${net.reason}` };
    const wire = net.notes.length > 0 ? `; ${net.notes.join('; ')}` : '';
    if (!route.server) {
      return { outcome: 'no-route', reason: `${where}: ${routed}${wire}; Gateway ${gatewayName} has no server for ${host} on port ${route.port}, so the gateway has no route for it (404 for HTTP, connection closed for TLS)` };
    }
    const tls = destinationRuleTls(this.model, workload.namespace, gatewayHost, route.serviceNamespace, route.port, route.subset);
    const clientMtls = tls?.mode === 'ISTIO_MUTUAL';
    const sent = tls ? `DestinationRule ${tls.source} sets tls.mode ${tls.mode}` : 'no DestinationRule: auto mTLS sends plaintext to gateway pods (they carry no security.istio.io/tlsMode label)';
    const serverMode = serverTlsMode(route.server);
    const http = serverIsHttp(route.server);
    if (serverMode === 'ISTIO_MUTUAL' && !clientMtls) {
      return { outcome: 'reset', reason: `${where}: ${routed}${wire}; ${sent}, but the Gateway ${gatewayName} server expects Istio mTLS (ISTIO_MUTUAL): the handshake fails` };
    }
    if (serverMode !== 'ISTIO_MUTUAL' && clientMtls) {
      return { outcome: 'reset', reason: `${where}: ${routed}${wire}; ${sent}, but the Gateway ${gatewayName} server does not terminate Istio mTLS (tls.mode ${serverMode ?? 'none'}): the handshake fails` };
    }
    const peer = clientMtls && client.kind === 'mesh' ? { trustDomain: this.model.trustDomain, namespace: client.namespace, serviceAccount: client.serviceAccount } : undefined;
    const transport = `${sent}${peer ? '' : '; the gateway sees no peer identity'}${wire}`;
    const target: Target = { ...this.prepare(gatewayPods, wirePort, http, `egress gateway ${gatewayName}`), point: 'gateway' };
    const headers = lowerKeys(request.headers);
    const verdict = this.authorize(target, peer, transport, {
      method: request.method ?? 'GET', path: request.path ?? '/', host: headers.host ?? host, headers, sni: host,
    }, undefined);
    return { outcome: verdict.outcome, reason: `${where}: ${routed}; at the ${verdict.reason}; the gateway's own connection to ${host} is not simulated` };
  }

  /** A pod as NetworkPolicy sees it. */
  public podEndpoint(workload: Workload, label: string): NetEndpoint {
    return { peer: podPeer(workload, label), label, workload };
  }

  /** A client's end of the wire: its pod, the outside (an out-of-cluster address), or unknown. */
  public clientEndpoint(client: Client): NetEndpoint | undefined {
    if (client.workload) return this.podEndpoint(client.workload, client.kind === 'mesh' && client.gateway ? client.label : `${client.workload.namespace}/${client.workload.name}`);
    if (client.kind === 'plain' && client.ip !== undefined) return { peer: { kind: 'ip', ip: client.ip }, label: `${client.label} (${client.ip})` };
    return client.kind === 'plain' ? { peer: { kind: 'external', description: client.label }, label: client.label } : undefined;
  }

  /**
   * Whether the wire connection `src → dst:port/protocol` (the wire, i.e. container, port) passes
   * the source's egress and the destination's ingress NetworkPolicies, as analysis/network-policy.ts
   * decides (the CNI enforces it; a drop is silent and the client times out). An answer that rests
   * on pod IPs against an ipBlock (undecidable from the manifests) is not counted as admitting.
   */
  public decideNetwork(src: NetEndpoint, dst: NetEndpoint, port: number, protocol: string): { allowed: true; notes: string[] } | { allowed: false; reason: string } {
    // The access matrix asks the same wire question for many requests (paths, methods, tokens):
    // answered once per source, destination and port.
    const key = `${src.label}\u0000${dst.label}\u0000${port}/${protocol}`;
    const known = this.networkDecisions.get(key);
    if (known) return known;
    const decided = this.decideNetworkUncached(src, dst, port, protocol);
    this.networkDecisions.set(key, decided);
    return decided;
  }

  private readonly networkDecisions = new Map<string, { allowed: true; notes: string[] } | { allowed: false; reason: string }>();

  private decideNetworkUncached(src: NetEndpoint, dst: NetEndpoint, port: number, protocol: string): { allowed: true; notes: string[] } | { allowed: false; reason: string } {
    const upper = protocol.toUpperCase();
    const proto = (upper === 'UDP' || upper === 'SCTP' ? upper : 'TCP') as PortProtocol;
    const query = dst.workload ? portOn(dst.workload, port, proto) : { port, protocol: proto };
    const notes: string[] = [];
    const side = (direction: Direction, pod: NetEndpoint, peer: NetEndpoint): string | { reason: string } | undefined => {
      const a = explainAllows(this.model, pod.workload!, peer.peer, query, direction);
      if (a.policies.length === 0) return undefined;
      const name = (p: { object: MeshObject }) => `${p.object.namespace}/${p.object.name}`;
      const field = direction;
      // Kept short: an allowed cell of the access matrix carries it, millions of times at scale.
      if (a.allowed === true && a.admittedBy) return `NetworkPolicy ${name(a.admittedBy.policy)} ${field}[${a.admittedBy.index}] admits ${port}/${protocol}`;
      const what = direction === 'ingress' ? `ingress of ${pod.label} (from ${peer.label})` : `egress of ${pod.label} (to ${peer.label})`;
      const undecided = a.undecided.length === 0 ? ''
        : `; ${a.undecided.map((r) => `${name(r.policy)} ${field}[${r.index}]`).join(', ')} would admit it only if an ipBlock covered the pod's IP, which the manifests do not give (not counted)`;
      return { reason: `dropped by NetworkPolicy ${a.policies.map(name).join(', ')}: ${what} is isolated and no ${field} rule allows ${port}/${protocol} (the connection times out)${undecided}` };
    };
    if (src.workload) {
      const egress = side('egress', src, dst);
      if (typeof egress === 'object') return { allowed: false, reason: egress.reason };
      if (egress) notes.push(egress);
    }
    if (dst.workload) {
      const ingress = side('ingress', dst, src);
      if (typeof ingress === 'object') return { allowed: false, reason: ingress.reason };
      if (ingress) notes.push(ingress);
    }
    return { allowed: true, notes };
  }

  /**
   * The ingress path: routed by a Gateway and VirtualService, then the gateway's own JWT and
   * policies (the external client speaks plaintext or TLS to it, never mTLS), then the hop from
   * the gateway's identity to the service. The result carries what the service's app receives.
   */
  public async ingressHop(service: ServiceInfo, port: ServicePortInfo, request: HttpRequest, assume = false, clientHeaders?: Readonly<Record<string, string>>): Promise<HopResult> {
    // Header-conditioned routes and the Host are decided only when the client's headers are known.
    const route = routeThroughIngress(this.model, this.ingressGateway.labels, service, port, request.method, request.path, clientHeaders ? { headers: clientHeaders } : {});
    if (!route.routed) {
      // Not routed by an Istio Gateway: a Kubernetes Gateway API gateway may route it.
      const viaGatewayApi = await gatewayApiIngressTo(this, service, port.port, request, { assume, ...(clientHeaders ? { headers: clientHeaders } : {}), features: this.gatewayApiFeatures });
      const istioGateways = this.model.ofKind('Gateway').some((g) => g.apiVersion.startsWith('networking.istio.io/'));
      if (viaGatewayApi && (viaGatewayApi.outcome !== 'no-route' || !istioGateways)) return viaGatewayApi;
      return { outcome: 'no-route', reason: viaGatewayApi ? `${route.reason}; ${viaGatewayApi.reason}` : route.reason, appHeaders: {} };
    }
    const atGateway: HttpRequest = { ...request, host: route.host };
    const gateway = this.gatewayTarget(route.gatewayPort);
    const jwt = await this.jwtStage(gateway, atGateway, assume);
    const atGate = this.authorize(gateway, undefined, 'from outside', atGateway, jwt);
    if (atGate.outcome !== 'allow') return { ...atGate, reason: `at the ingress gateway: ${atGate.reason}` };
    const hop = await this.hop(this.gatewayClient(), service, port, { ...atGateway, headers: atGate.appHeaders }, assume);
    return { ...hop, reason: `${route.reason}; ${hop.reason}` };
  }

  /** The gateway's pods as a target, for policy selection (they are rarely in the manifests). */
  private gatewayTarget(gatewayPort: number): Target {
    const { namespace, serviceAccount } = this.ingressGateway;
    return { ...this.prepare(this.gatewayWorkload(), gatewayPort, true, `ingress gateway ${namespace}/${serviceAccount}`), point: 'gateway' };
  }

  /** The gateway's pods as a workload: its namespace, service account and labels. */
  private gatewayWorkload(): Workload {
    const { namespace, serviceAccount, labels } = this.ingressGateway;
    return gatewayPods(namespace, serviceAccount, serviceAccount, labels);
  }

  /** One hop: `client` calls `service:port`; every workload behind it is asked, the first refusal reported. */
  public async hop(client: Client, service: ServiceInfo, port: ServicePortInfo, request: HttpRequest, assumeValidToken = false, scheme?: Scheme): Promise<HopResult> {
    const targets = this.targetsOf(service, port);
    if (targets.length === 0) return { outcome: 'no-route', reason: noEndpoints(service), appHeaders: {} };
    const results: HopResult[] = [];
    for (const original of targets) {
      // An explicit non-HTTP scheme: the proxies see no HTTP (TCP semantics).
      const target = scheme !== undefined && scheme !== 'http' && original.http ? { ...original, http: false } : original;
      if (this.ambient.involves(client, target)) {
        results.push(await this.ambient.hop(client, original, request, { addressing: 'service', ...(scheme ? { scheme } : {}), assumeValidToken }));
        continue;
      }
      const transport = this.transport(client, target);
      if ('result' in transport) {
        results.push(transport.result);
        continue;
      }
      results.push(this.authorize(target, transport.peer, transport.text, request, await this.jwtStage(target, request, assumeValidToken)));
    }
    // Endpoints that disagree: report the first that does not allow, so nothing looks more open than it is.
    return results.find((r) => r.outcome !== 'allow') ?? results[0]!;
  }

  /** The workloads behind a Service port, with everything about them that no request changes. */
  public targetsOf(service: ServiceInfo, port: ServicePortInfo): Target[] {
    const key = `${service.namespace}/${service.name}:${port.port}`;
    let targets = this.targets.get(key);
    if (!targets) {
      targets = this.model.workloadsOf(service).sort((a, b) => a.name.localeCompare(b.name)).map((workload) => {
        const containerPort = this.model.targetPort(port, workload) ?? port.port;
        const http = port.protocolClass === 'http' || port.protocolClass === 'unknown';
        return { ...this.prepare(workload, containerPort, http, `${workload.namespace}/${workload.name}:${containerPort}`), service, servicePort: port };
      });
      this.targets.set(key, targets);
    }
    return targets;
  }

  public prepare(workload: Workload, containerPort: number, http: boolean, where: string): Target {
    const policies = this.model.authorizationPoliciesFor(workload).map((policy) => ({
      action: actionOf(policy),
      label: `ns[${policy.namespace}]-policy[${policy.name}]`,
      rules: rulesOf(policy),
      ctx: { localTrustDomains: this.model.localTrustDomains, policyNamespace: policy.namespace ?? 'default' },
    }));
    return {
      workload, containerPort, http, where, ...(workload.sidecar === true ? { point: 'sidecar' as const } : {}),
      mode: workload.sidecar === true ? this.model.effectiveMtls(workload, containerPort) : undefined,
      deny: policies.filter((p) => p.action === 'DENY'),
      allow: policies.filter((p) => p.action === 'ALLOW'),
      custom: policies.filter((p) => p.action === 'CUSTOM').map((p) => p.label),
      jwtRules: jwtRulesOf(this.model.requestAuthenticationsFor(workload)),
    };
  }

  /**
   * Steps 1–3: whether the caller's sidecar knows the host (Sidecar scope, outbound traffic
   * policy), whether NetworkPolicy lets the connection through on the wire, what the client
   * sends, and whether the server's mTLS mode accepts it.
   */
  public transport(client: Client, target: Target): { result: HopResult } | { peer: RequestFacts['peer']; text: string } {
    const { workload, where } = target;
    // NetworkPolicy drops are the CNI's; mTLS refusals are the server sidecar's.
    const fail = (outcome: Outcome, reason: string, at = where) => ({ result: { outcome, reason: `${at}: ${reason}`, workload: where, appHeaders: {} } });
    const service = target.service!;
    const servicePort = target.servicePort!;
    const outbound = this.sidecarOutbound(client, target, 'service');
    if ('result' in outbound) return outbound;
    const passthrough = outbound.passthrough;
    // Then the wire: the CNI enforces NetworkPolicy on pod → pod:containerPort.
    let wire = '';
    if (networkPolicies(this.model).length > 0) {
      const src = this.clientEndpoint(client);
      if (src) {
        const dst = this.podEndpoint(workload, target.where.replace(/:\d+$/, ''));
        const net = this.decideNetwork(src, dst, target.containerPort, servicePort.protocol);
        if (!net.allowed) return fail('dropped', net.reason);
        if (net.notes.length > 0) wire = `; ${net.notes.join('; ')}`;
      }
    }
    const tls = client.kind === 'mesh' && !passthrough ? this.destinationRuleTls(client.namespace, service, servicePort.port) : undefined;
    const serverInjected = workload.sidecar === true;
    let mtls: boolean;
    let text: string;
    if (passthrough) {
      mtls = false; text = `plaintext passthrough from ${client.label}, no identity (${passthrough})`;
    } else if (client.kind === 'plain') {
      mtls = false; text = `plaintext from ${client.label}`;
    } else if (tls) {
      mtls = tls.mode === 'ISTIO_MUTUAL';
      text = `DestinationRule ${tls.source} sets tls.mode ${tls.mode}`;
    } else {
      // Auto mTLS (istio:pilot/pkg/networking/core/cluster_tls.go, pilot/pkg/xds/endpoints/
      // mtls_checker.go): plaintext if the service's namespace or mesh mode is DISABLE, else
      // mTLS iff the pod is injected and its own mode for the container port is not DISABLE.
      mtls = this.model.namespaceMtls(service.namespace).mode !== 'DISABLE' && serverInjected && target.mode?.mode !== 'DISABLE';
      text = mtls ? `auto mTLS from ${client.label}` : `plaintext from ${client.label} (auto mTLS)`;
    }
    text += wire;
    if (!serverInjected) {
      if (tls?.mode === 'ISTIO_MUTUAL') return fail('reset', `${text}, but the pod has no sidecar to terminate it (503 at the client)`);
      const unknown = workload.sidecar === undefined ? ` (namespace ${workload.namespace} is not in the manifests: assumed not injected)` : '';
      return { result: { outcome: 'allow', reason: `${where}: no sidecar${unknown}, so Istio enforces nothing (${text})`, workload: where, appHeaders: {} } };
    }
    const mode = target.mode!;
    const decided = mode.decidedBy ? `PeerAuthentication ${mode.decidedBy.namespace}/${mode.decidedBy.name}` : 'the default';
    if (mode.mode === 'STRICT' && !mtls) return fail('reset', `${text} against mTLS STRICT (${decided}): the connection is reset`, namedPoint(target));
    if (mode.mode === 'DISABLE' && mtls) return fail('reset', `${text} against mTLS DISABLE (${decided}): the handshake fails (503 at the client)`, namedPoint(target));
    const peer = mtls && client.kind === 'mesh' && !passthrough ? { trustDomain: this.model.trustDomain, namespace: client.namespace, serviceAccount: client.serviceAccount } : undefined;
    return { peer, text };
  }

  /**
   * The caller's own sidecar first: a host it does not import never leaves it as mesh traffic
   * (istio:pilot/pkg/model/sidecar.go SidecarScope; networking/core/httproute.go catch-all). A
   * pod IP (`addressing: workload`) is in no registry. Only sidecar callers have a scope.
   */
  public sidecarOutbound(client: Client, target: Target, addressing: Addressing): { result: HopResult } | { passthrough?: string } {
    if (client.kind !== 'mesh' || !client.workload || client.gateway || client.ambient) return {};
    const scope = this.scopeOf(client.workload);
    const service = target.service;
    let why: string;
    if (addressing === 'workload' || !service || !target.servicePort) {
      why = `${client.label} dials the pod IP of ${target.where}, which is no host in its registry`;
    } else if (!this.registryMisses(scope, client.namespace, target, serviceHost(service))) {
      return {};
    } else if (!serviceExportedTo(service.object, client.namespace)) {
      why = `Service ${service.namespace}/${service.name} is not exported to namespace ${client.namespace}`;
    } else {
      why = `Sidecar ${scope.sidecar!.namespace}/${scope.sidecar!.name} of ${client.label} does not import ${serviceHost(service)}`;
    }
    if (scope.mode === 'REGISTRY_ONLY') {
      return { result: { outcome: 'blocked', reason: `${target.where}: ${why}; outboundTrafficPolicy REGISTRY_ONLY (${scope.modeFrom}): blocked by the caller's sidecar (${target.http ? '502' : 'connection closed'})`, workload: target.where, appHeaders: {} } };
    }
    return { passthrough: `${why}; outboundTrafficPolicy ALLOW_ANY (${scope.modeFrom}) passes it through` };
  }

  /**
   * Whether the caller's own sidecar refuses the request (`sidecarOutbound` gives a `blocked`
   * result), without putting its reason into words.
   */
  public sidecarBlocks(client: Client, target: Target, addressing: Addressing): boolean {
    if (client.kind !== 'mesh' || !client.workload || client.gateway || client.ambient) return false;
    const scope = this.scopeOf(client.workload);
    if (addressing === 'workload') return scope.mode === 'REGISTRY_ONLY';
    return this.scopeBlocks(scope, client.namespace, target, target.service ? serviceHost(target.service) : '');
  }

  /**
   * `sidecarBlocks` for a sidecar caller in `namespace` whose pod has `scope`, to the target by its
   * Service name `fqdn` (`<name>.<ns>.svc.cluster.local`): the access matrix asks it of every
   * caller's namespace and scope for every destination, so nothing here is worked out twice.
   */
  public scopeBlocks(scope: SidecarScope, namespace: string, target: Target, fqdn: string): boolean {
    return scope.mode === 'REGISTRY_ONLY' && this.registryMisses(scope, namespace, target, fqdn);
  }

  /**
   * Whether the Service is missing from the registry of a sidecar in `namespace` with `scope`:
   * not exported to the namespace, or not imported by its Sidecar. A target without a Service
   * port is no registry host at all.
   */
  private registryMisses(scope: SidecarScope, namespace: string, target: Target, fqdn: string): boolean {
    const service = target.service;
    if (!service || !target.servicePort) return true;
    return !serviceExportedTo(service.object, namespace) || !sidecarImports(scope.sidecar, service.namespace, fqdn, target.servicePort.port);
  }

  /** Step 5, the JWT stage, which depends on the token and the target only (never on the client). */
  public async jwtStage(target: Target, request: HttpRequest, assumeValidToken = false): Promise<JwtVerdict | undefined> {
    // A CORS preflight skips it: OPTIONS with Origin and Access-Control-Request-Method both
    // non-empty (envoy:source/extensions/filters/http/jwt_authn/filter.cc isCorsPreflightRequest);
    // an empty header makes it an ordinary request whose token is checked.
    const preflight = request.method === 'OPTIONS' && !!request.headers.origin && !!request.headers['access-control-request-method'];
    if (!target.http || target.jwtRules.length === 0 || preflight) return undefined;
    if (assumeValidToken) return symbolicValidToken(target);
    return this.jwt.evaluate({ headers: request.headers, path: request.path }, target.jwtRules);
  }

  /** Steps 5–6 once the JWT verdict is known: 401/403 from the token, then CUSTOM, DENY, ALLOW. Synchronous. */
  public authorize(target: Target, peer: RequestFacts['peer'], transport: string, request: HttpRequest, jwt: JwtVerdict | undefined): HopResult {
    const { where, http } = target;
    const said = namedPoint(target);
    const fail = (outcome: Outcome, reason: string): HopResult => ({ outcome, reason: `${said}: ${reason}`, workload: where, appHeaders: {} });
    if (jwt?.kind === 'rejected') return fail(jwt.status === 401 ? 'deny-401' : 'deny-403', jwt.reason);
    let token: RequestFacts['token'];
    let appHeaders = request.headers;
    if (jwt?.kind === 'valid') {
      token = { issuer: String(jwt.claims.iss), subject: typeof jwt.claims.sub === 'string' ? jwt.claims.sub : '', claims: jwt.claims };
      // Envoy removes the header it read the token from unless forwardOriginalToken
      // (api:security/v1beta1/request_authentication.proto JWTRule.forwardOriginalToken).
      const location = jwt.location ?? { kind: 'header', name: 'authorization' };
      if (!jwt.forwarded && location.kind === 'header') appHeaders = Object.fromEntries(Object.entries(appHeaders).filter(([k]) => k !== location.name));
    }
    const facts: RequestFacts = {
      http, ...(peer ? { peer } : {}), ...(token ? { token } : {}),
      method: request.method, path: request.path.split('?')[0]!, host: request.host, headers: request.headers, port: target.containerPort,
      // The client sidecar's SNI names the Service port and FQDN (outbound cluster name).
      ...(request.sni !== undefined ? { sni: request.sni }
        : peer ? { sni: `outbound_.${target.servicePort?.port ?? target.containerPort}_._.${target.service ? `${target.service.name}.${target.service.namespace}.svc.cluster.local` : request.host.split(':')[0]}` } : {}),
    };
    const matching = (policies: readonly PreparedPolicy[]) => {
      for (const policy of policies) {
        const rule = policy.rules.find((r) => ruleMatches(r, policy.action, facts, policy.ctx));
        if (rule) return `${policy.label}-rule[${rule.index}]`;
      }
      return undefined;
    };
    const denied = http ? 'deny-403' : 'reset';
    const verb = http ? 'denied (403)' : 'closed by policy';
    const note = target.custom.length > 0 ? ` (CUSTOM policies ${target.custom.join(', ')} not simulated: assumed to allow)` : '';
    const deny = matching(target.deny);
    if (deny) return fail(denied, `${verb} by ${deny} (${transport})`);
    if (target.allow.length === 0) return { outcome: 'allow', reason: `${said}: no ALLOW policy applies (${transport})${note}`, workload: where, appHeaders };
    const allow = matching(target.allow);
    if (allow) return { outcome: 'allow', reason: `${said}: allowed by ${allow} (${transport})${note}`, workload: where, appHeaders };
    const identity = peer ? `peer ${peer.trustDomain}/ns/${peer.namespace}/sa/${peer.serviceAccount}` : 'no peer identity';
    const user = token ? `request principal ${token.issuer}/${token.subject}` : 'no request principal';
    return fail(denied, `${verb}: no rule of ${target.allow.map((p) => p.label).join(', ')} matches (${transport}; ${identity}; ${user})${note}`);
  }

  /**
   * The DestinationRule TLS mode a client in `namespace` uses for the service, if any
   * (istio:pilot/pkg/model/push_context.go destinationRule).
   */
  private destinationRuleTls(clientNamespace: string, service: ServiceInfo, servicePort: number): { mode: string; source: string } | undefined {
    return destinationRuleTls(this.model, clientNamespace, `${service.name}.${service.namespace}.svc.cluster.local`, service.namespace, servicePort);
  }
}

/** A valid token's verdict for the target, without a signature (see the module doc). */
export function symbolicValidToken(target: Target): JwtVerdict | undefined {
  const rule = target.jwtRules[0];
  if (!rule) return undefined;
  // Claim paths come from the policies: maps without a prototype, so a `__proto__` segment is a
  // claim like any other and cannot reach (or change) Object.prototype.
  const claims: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, { iss: rule.issuer, sub: 'matrix-user' });
  if (rule.audiences.length > 0) claims.aud = [...rule.audiences];
  for (const policy of target.allow) {
    for (const rule_ of policy.rules) {
      for (const w of rule_.when) {
        const path = claimPath(String(w.key));
        const value = strs(w.values)[0];
        if (!path || value === undefined || value.includes('*')) continue;
        let node = claims;
        for (const segment of path.slice(0, -1)) {
          const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
          node = next !== null && typeof next === 'object' && !Array.isArray(next) ? next as Record<string, unknown> : (node[segment] = Object.create(null) as Record<string, unknown>);
        }
        node[path[path.length - 1]!] = [value];
      }
    }
  }
  return { kind: 'valid', principal: `${rule.issuer}/matrix-user`, claims: claims as JwtClaims, forwarded: rule.forwardOriginalToken, reason: 'valid token (symbolic)' };
}

/** A target as reasons name it: `sidecar ns/name:port` for a workload's sidecar, else its `where`. */
function namedPoint(target: Target): string {
  return target.point === 'sidecar' ? `sidecar ${target.where}` : target.where;
}

function noEndpoints(service: ServiceInfo): string {
  return `Service ${service.namespace}/${service.name} selects no workload (503 no healthy upstream)`;
}
