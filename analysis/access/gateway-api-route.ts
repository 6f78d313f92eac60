import { podPeer } from '../network-policy.js';
import { actionOf, rulesOf } from '../policy.js';
import { rec, recs, str, strs } from '../values.js';
import type { MeshModel, MeshObject, Workload } from '../model.js';
import { gatewayPods } from '../model.js';
import {
  attachParent, BackendRef, backendProblem, backendRefsOf, deployedGateway, GATEWAY_API_GROUP, hostnameMatches, httpRoutes,
  ingressGateways, Listener, listenersOf, listenerTlsProblem, parentRefsOf,
} from '../gateway-api.js';
import { re2FullMatch, type RequestTests } from './ingress-route.js';
import { jwtRulesOf } from './jwt.js';
import type { AccessRequest, AccessSimulator, Client, HopResult, HttpRequest, PreparedPolicy, Target } from './simulator.js';
import { AccessRequestError } from './simulator.js';

/**
 * Requests entering through a Kubernetes Gateway API gateway that Istio deployed for a class-`istio`
 * Gateway (ISTIO.md §10, §13 steps 6–9): the listener (port, Host/SNI, TLS), the HTTPRoutes
 * attached to it and the matching rule (Gateway API precedence), the gateway's own JWT and
 * authorization (targetRefs to the Gateway, and selector policies while
 * ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is on), then the backendRefs (ReferenceGrant
 * permission, weights) and the hop from the gateway's identity `<gateway>-istio` to the backend,
 * decided as any other hop.
 */

/** The istiod feature flags this module reads. */
export interface GatewayApiFeatures {
  /** ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY (istio:pilot/pkg/features/pilot.go), default true. */
  readonly selectorBasedGatewayPolicy: boolean;
}

/** A Gateway API gateway, deployed: its Gateway and its pods as a workload. */
interface DeployedGateway {
  readonly gateway: MeshObject;
  readonly workload: Workload;
  readonly label: string;
}

/** The class-`istio` Gateway whose deployment `to` names (`<ns>/<gateway>-istio`), if any. */
export function gatewayNamed(sim: AccessSimulator, to: string): DeployedGateway | undefined {
  const [namespace, name] = to.split('/');
  const gateway = ingressGateways(sim.model).find((g) => g.namespace === namespace && deployedGateway(g).name === name);
  return gateway ? deployed(gateway) : undefined;
}

function deployed(gateway: MeshObject): DeployedGateway {
  const d = deployedGateway(gateway);
  const namespace = gateway.namespace ?? 'default';
  return {
    gateway,
    label: `Gateway API gateway ${namespace}/${d.name}`,
    workload: gatewayPods(namespace, d.name, d.serviceAccount, d.labels),
  };
}

/** The request's Host, without a port. */
function hostOf(request: HttpRequest): string {
  return request.host.replace(/:\d+$/, '').toLowerCase();
}

/** How specifically a hostname pattern matches a host: exact beats wildcard beats none (Envoy virtual hosts). */
function hostRank(pattern: string | undefined, host: string): number {
  if (!hostnameMatches(pattern, host)) return -1;
  if (pattern === undefined || pattern === '*') return 0;
  return pattern.startsWith('*.') ? 1000 + pattern.length : 100000 + pattern.length;
}

/** The listener serving `port` and `host`: the most specific hostname among the port's listeners. */
function listenerFor(g: DeployedGateway, port: number, host: string): { listener?: Listener; reason?: string; onPort: Listener[] } {
  const onPort = listenersOf(g.gateway).filter((l) => l.port === port && (l.protocol === 'HTTP' || l.protocol === 'HTTPS'));
  const ranked = onPort.map((l) => ({ l, rank: hostRank(l.hostname, host) })).filter((x) => x.rank >= 0).sort((a, b) => b.rank - a.rank);
  return ranked[0] ? { listener: ranked[0].l, onPort } : { onPort };
}

/** One HTTPRouteMatch (gwapi: httproute_types.go): path (PathPrefix element-wise by default), method, headers, query. */
function matchHolds(match: Record<string, unknown>, request: HttpRequest, headersKnown: boolean): boolean {
  const [path, query = ''] = request.path.split(/\?(.*)/s, 2) as [string, string?];
  const p = rec(match.path);
  const type = str(p?.type) ?? 'PathPrefix';
  const value = str(p?.value) ?? '/';
  if (type === 'Exact' && path !== value) return false;
  if (type === 'PathPrefix') {
    const prefix = value.length > 1 ? value.replace(/\/$/, '') : value;
    if (prefix !== '/' && path !== prefix && !path.startsWith(`${prefix}/`)) return false;
  }
  if (type === 'RegularExpression' && !safeFullMatch(value, path)) return false;
  if (str(match.method) !== undefined && str(match.method) !== request.method) return false;
  if (headersKnown) {
    for (const h of recs(match.headers)) {
      const actual = request.headers[(str(h.name) ?? '').toLowerCase()];
      if (actual === undefined) return false;
      if ((str(h.type) ?? 'Exact') === 'RegularExpression' ? !safeFullMatch(str(h.value) ?? '', actual) : actual !== str(h.value)) return false;
    }
  }
  const params = new URLSearchParams(query);
  for (const q of recs(match.queryParams)) {
    const actual = params.get(str(q.name) ?? '');
    if (actual === null) return false;
    if ((str(q.type) ?? 'Exact') === 'RegularExpression' ? !safeFullMatch(str(q.value) ?? '', actual) : actual !== str(q.value)) return false;
  }
  return true;
}

/**
 * A RegularExpression match, as Istio programs Envoy for it: RE2 (a full match), in time linear in
 * the value; a pattern RE2 refuses matches nothing. A JavaScript RegExp backtracks on patterns
 * such as `(a+)+b` (issue "Analysis at scale and under hostile input").
 */
function safeFullMatch(pattern: string, value: string): boolean {
  return re2FullMatch(pattern, value, false);
}

/**
 * The Gateway API's precedence among matching rules (gwapi: httproute_types.go HTTPRouteRule):
 * an Exact path before a prefix, the longer path first, then a method match, then more header
 * matches, then more query matches; ties go to the route first by namespace/name (the manifests
 * carry no creation time) and then to rule order.
 */
function precedence(match: Record<string, unknown>): number[] {
  const p = rec(match.path);
  const type = str(p?.type) ?? 'PathPrefix';
  return [type === 'Exact' ? 2 : type === 'PathPrefix' ? 1 : 0, (str(p?.value) ?? '/').length, str(match.method) !== undefined ? 1 : 0,
    recs(match.headers).length, recs(match.queryParams).length];
}

interface Chosen {
  readonly route: MeshObject;
  readonly ruleIndex: number;
  readonly rule: Record<string, unknown>;
}

/** The rule a request takes on a listener, or why none (404). */
function chooseRule(sim: AccessSimulator, g: DeployedGateway, listener: Listener, request: HttpRequest, headersKnown: boolean): Chosen | { reason: string } {
  const host = hostOf(request);
  const attached = httpRoutes(sim.model).filter((route) => parentRefsOf(route).some((ref) => {
    const a = attachParent(sim.model, route, ref);
    return 'listeners' in a && a.gateway === g.gateway && a.listeners.some((l) => l.index === listener.index);
  }));
  if (attached.length === 0) return { reason: `no HTTPRoute is attached to listener "${listener.name}" of Gateway ${g.gateway.namespace}/${g.gateway.name} (404)` };
  // One virtual host per hostname: the route hostnames most specific for the Host win.
  const ranked = attached.map((route) => {
    const hostnames = strs(route.spec.hostnames);
    const rank = hostnames.length === 0 ? hostRank(listener.hostname, host) : Math.max(...hostnames.map((h) => hostRank(h, host)));
    return { route, rank };
  }).filter((x) => x.rank >= 0);
  if (ranked.length === 0) return { reason: `no HTTPRoute attached to listener "${listener.name}" serves host ${host} (404)` };
  const best = Math.max(...ranked.map((x) => x.rank));
  const candidates: { chosen: Chosen; key: number[]; order: string; m: number }[] = [];
  for (const { route } of ranked.filter((x) => x.rank === best).sort((a, b) => `${a.route.namespace}/${a.route.name}`.localeCompare(`${b.route.namespace}/${b.route.name}`))) {
    recs(route.spec.rules).forEach((rule, ruleIndex) => {
      const matches = recs(rule.matches);
      (matches.length ? matches : [{}]).forEach((m, mi) => {
        if (matchHolds(m, request, headersKnown)) candidates.push({ chosen: { route, ruleIndex, rule }, key: precedence(m), order: `${route.namespace}/${route.name}`, m: ruleIndex * 1000 + mi });
      });
    });
  }
  if (candidates.length === 0) {
    return { reason: `no rule of ${ranked.map((x) => `HTTPRoute ${x.route.namespace}/${x.route.name}`).join(', ')} matches ${request.method} ${request.path.split('?')[0]} on ${host} (404)` };
  }
  candidates.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return b.key[i]! - a.key[i]!;
    return a.order.localeCompare(b.order) || a.m - b.m;
  });
  return candidates[0]!.chosen;
}

/** Whether a policy's targetRefs name this Gateway (policy in the Gateway's namespace; ISTIO.md §10.5). */
function targetsGateway(policy: MeshObject, gateway: MeshObject): boolean {
  const refs = [...recs(policy.spec.targetRefs), ...(rec(policy.spec.targetRef) ? [rec(policy.spec.targetRef)!] : [])];
  return policy.namespace === gateway.namespace && refs.some((r) => (str(r.group) ?? '') === GATEWAY_API_GROUP && str(r.kind) === 'Gateway'
    && str(r.name) === gateway.name && (str(r.namespace) === undefined || str(r.namespace) === gateway.namespace));
}

/**
 * The gateway's pods as a policy target (istio:pilot/pkg/model/policyattachment.go
 * ShouldAttachPolicy): policies with targetRefs to the Gateway, and, while the selector flag is
 * on, the policies a selector (or none) picks in its namespace and the root namespace.
 */
function gatewayTarget(sim: AccessSimulator, g: DeployedGateway, port: number, features: GatewayApiFeatures): Target {
  const m = sim.model;
  const targeted = (kind: string) => m.ofKind(kind).filter((p) => targetsGateway(p, g.gateway));
  const aps = [...targeted('AuthorizationPolicy').filter((p) => !m.isDryRun(p)), ...(features.selectorBasedGatewayPolicy ? m.authorizationPoliciesFor(g.workload) : [])];
  const ras = [...targeted('RequestAuthentication'), ...(features.selectorBasedGatewayPolicy ? m.requestAuthenticationsFor(g.workload) : [])];
  const policies: PreparedPolicy[] = aps.map((policy) => ({
    action: actionOf(policy),
    label: `ns[${policy.namespace}]-policy[${policy.name}]`,
    rules: rulesOf(policy),
    ctx: { localTrustDomains: m.localTrustDomains, policyNamespace: policy.namespace ?? 'default' },
  }));
  return {
    workload: g.workload, containerPort: port, http: true, where: g.label, mode: undefined,
    deny: policies.filter((p) => p.action === 'DENY'),
    allow: policies.filter((p) => p.action === 'ALLOW'),
    custom: policies.filter((p) => p.action === 'CUSTOM').map((p) => p.label),
    jwtRules: jwtRulesOf(ras),
  };
}

const fail = (outcome: HopResult['outcome'], reason: string): HopResult => ({ outcome, reason, appHeaders: {} });

/**
 * A request to a Gateway API gateway (`"to": "<ns>/<gateway>-istio"`, the Host header naming the
 * site), end to end. `only` restricts the backends to one Service port (for `{"ingress": true}`
 * requests naming the service): another backend is then reported as no route there.
 */
export async function throughGatewayApi(
  sim: AccessSimulator, g: DeployedGateway, client: Client, port: number, request: HttpRequest,
  options: { assume: boolean; headersKnown: boolean; features: GatewayApiFeatures; only?: { namespace: string; name: string; port: number } },
): Promise<HopResult> {
  const host = hostOf(request);
  const gwLabel = `Gateway ${g.gateway.namespace}/${g.gateway.name}`;
  // 6. The listener, by port and Host (SNI for HTTPS); a TLS listener Istio could not build does not exist.
  const { listener, onPort } = listenerFor(g, port, host);
  if (!listener) {
    if (onPort.length === 0) return fail('reset', `${gwLabel} has no HTTP or HTTPS listener on port ${port}: the connection is refused`);
    const tls = onPort.every((l) => l.protocol === 'HTTPS');
    return tls
      ? fail('reset', `no HTTPS listener of ${gwLabel} on port ${port} serves ${host} (listener hostnames: ${onPort.map((l) => l.hostname ?? '*').join(', ')}): the TLS handshake fails`)
      : fail('no-route', `no listener of ${gwLabel} on port ${port} serves host ${host} (404)`);
  }
  const tlsProblem = listenerTlsProblem(sim.model, listener);
  if (tlsProblem) return fail('reset', `${gwLabel}: ${tlsProblem}, so Istio does not create the listener and the connection fails`);
  // The wire from the client to the gateway's pod (NetworkPolicy in the gateway's namespace).
  const src = client.workload ? { peer: podPeer(client.workload, client.label), label: client.label, workload: client.workload } : { peer: { kind: 'external' as const, description: client.label }, label: client.label };
  const net = sim.decideNetwork(src, { peer: podPeer(g.workload, g.label), label: g.label, workload: g.workload }, port, 'TCP');
  if (!net.allowed) return fail('dropped', `${g.label}: ${net.reason}`);
  // 9. The gateway's own JWT and RBAC, in the listener's HTTP filters, so before the router picks
  // a route (istio:pilot/pkg/networking/core/gateway.go builds them per server; Envoy's router
  // filter comes last): a request the policies refuse gets 401/403 even where no route matches.
  // The external client speaks HTTP(S) to the gateway, never mTLS: no peer identity.
  const target = gatewayTarget(sim, g, listener.port, options.features);
  const atGateway: HttpRequest = { ...request, host };
  const jwt = await sim.jwtStage(target, atGateway, options.assume);
  const atGate = sim.authorize(target, undefined, `from ${client.label}`, atGateway, jwt);
  const onListener = `${gwLabel} listener "${listener.name}" (${listener.protocol} ${listener.port})`;
  if (atGate.outcome !== 'allow') return { ...atGate, reason: `${onListener}; at the gateway: ${atGate.reason}` };
  // 7. Route attachment and the matching rule.
  const chosen = chooseRule(sim, g, listener, request, options.headersKnown);
  if ('reason' in chosen) return fail('no-route', `${gwLabel} listener "${listener.name}": ${chosen.reason}`);
  const via = `${onListener} + HTTPRoute ${chosen.route.namespace}/${chosen.route.name} rules[${chosen.ruleIndex}]`;
  // 8. Backends: an invalid one answers 500 for its share; all-zero weights answer 500.
  const refs = backendRefsOf(chosen.route, chosen.rule);
  const live = refs.filter((r) => r.weight > 0);
  if (live.length === 0) return fail('no-route', `${via}: ${refs.length === 0 ? 'no backendRefs' : 'every backendRef has weight 0'} (500)`);
  if (options.only) {
    const only = options.only;
    const here = live.filter((r) => r.namespace === only.namespace && r.name === only.name && r.port === only.port);
    if (here.length === 0) return fail('no-route', `${via} sends ${request.method} ${request.path.split('?')[0]} elsewhere (${live.map(backendLabel).join(', ')}), not to ${only.namespace}/${only.name}:${only.port}`);
  }
  const gatewayClient: Client = {
    kind: 'mesh', label: g.label, namespace: g.workload.namespace, serviceAccount: g.workload.serviceAccount, workload: g.workload, gateway: true,
  };
  const results: HopResult[] = [];
  for (const ref of live) {
    const problem = backendProblem(sim.model, chosen.route, ref);
    if (problem) {
      results.push(fail('no-route', `${via}: ${problem.problem}, so ${live.length > 1 ? `its share (weight ${ref.weight}) of the` : 'the'} requests get 500`));
      continue;
    }
    if (options.only && !(ref.namespace === options.only.namespace && ref.name === options.only.name && ref.port === options.only.port)) continue;
    const { service, port: servicePort } = sim.target(`${ref.namespace}/${ref.name}`, ref.port!);
    const hop = await sim.hop(gatewayClient, service, servicePort, { ...atGateway, headers: atGate.appHeaders }, options.assume);
    results.push({ ...hop, reason: `${via} to ${backendLabel(ref)}; ${hop.reason}` });
  }
  // Backends that disagree: the first refusal, so nothing looks more open than it is.
  return results.find((r) => r.outcome !== 'allow') ?? results[0]!;
}

function backendLabel(ref: BackendRef): string {
  return `${ref.namespace}/${ref.name}:${ref.port ?? '?'}`;
}

/** The CLI's request to a gateway: from outside (or a workload), Host header required unless the listener names one host. */
export async function gatewayApiRequest(sim: AccessSimulator, g: DeployedGateway, request: AccessRequest, http: HttpRequest, assume: boolean, features: GatewayApiFeatures): Promise<HopResult> {
  if ('ingress' in request.from) {
    throw new AccessRequestError(`"to": "${request.to}" is a Gateway API gateway; send the request to it from outside ({"outside": true}) with a Host header, or ask {"ingress": true} about a Service.`);
  }
  let host = http.headers.host;
  if (host === undefined) {
    const named = listenersOf(g.gateway).filter((l) => l.port === request.port && l.hostname !== undefined && !l.hostname.startsWith('*'));
    if (named.length !== 1) throw new AccessRequestError(`a request to the Gateway API gateway ${request.to} needs a Host header ("headers": {"host": "<site>"}) to choose the listener and route.`);
    host = named[0]!.hostname!;
  }
  const client: Client = 'outside' in request.from ? { kind: 'plain', label: 'outside' } : sim.meshClient(request.from.workload);
  return throughGatewayApi(sim, g, client, request.port, { ...http, host }, { assume, headersKnown: true, features });
}

/**
 * `{"ingress": true, "to": "<ns>/<service>"}` through the Gateway API gateways: a route rule whose
 * backends include the Service port and whose matches accept the method and path, on a listener
 * that serves it; the request is then decided end to end with that listener's Host. Undefined
 * when the manifests hold no class-`istio` Gateway.
 */
export async function gatewayApiIngressTo(
  sim: AccessSimulator, service: { namespace: string; name: string }, port: number, request: HttpRequest,
  options: { assume: boolean; headers?: Readonly<Record<string, string>>; features: GatewayApiFeatures },
): Promise<HopResult | undefined> {
  const gateways = ingressGateways(sim.model);
  if (gateways.length === 0) return undefined;
  const only = { namespace: service.namespace, name: service.name, port };
  const tried: string[] = [];
  for (const gateway of gateways) {
    const g = deployed(gateway);
    for (const route of httpRoutes(sim.model)) {
      const sendsHere = recs(route.spec.rules).some((rule) => backendRefsOf(route, rule).some((r) => r.namespace === only.namespace && r.name === only.name && r.port === port));
      if (!sendsHere) continue;
      for (const ref of parentRefsOf(route)) {
        const a = attachParent(sim.model, route, ref);
        if (!('listeners' in a) || a.gateway !== gateway) continue;
        for (const listener of a.listeners) {
          const exact = [...strs(route.spec.hostnames), ...(listener.hostname ? [listener.hostname] : [])].find((h) => !h.startsWith('*'));
          const host = options.headers?.host ?? exact ?? `${service.name}.example`;
          const result = await throughGatewayApi(sim, g, { kind: 'plain', label: 'outside' }, listener.port, { ...request, host },
            { assume: options.assume, headersKnown: options.headers !== undefined, features: options.features, only });
          if (result.outcome !== 'no-route') return result;
          tried.push(result.reason);
        }
      }
    }
  }
  return fail('no-route', `no Gateway API gateway routes ${request.method} ${request.path.split('?')[0]} to ${service.namespace}/${service.name}:${port} (404)${tried.length ? `: ${[...new Set(tried)].join('; ')}` : ''}`);
}

/**
 * The requests the Gateway API routes would send to a Service port: the method and a concrete
 * path for each rule match that reaches it (an Exact path, or a prefix), for probing (the access
 * matrix's ingress cells).
 */
export function gatewayApiPathsTo(sim: AccessSimulator, service: { namespace: string; name: string }, port: number): { method: string; path: string }[] {
  const found = new Map<string, { method: string; path: string }>();
  for (const route of httpRoutes(sim.model)) {
    for (const rule of recs(route.spec.rules)) {
      if (!backendRefsOf(route, rule).some((r) => r.namespace === service.namespace && r.name === service.name && r.port === port && r.weight > 0)) continue;
      const matches = recs(rule.matches);
      for (const m of matches.length ? matches : [{}]) {
        const p = rec(m.path);
        const path = (str(p?.type) ?? 'PathPrefix') === 'RegularExpression' ? '/' : str(p?.value) ?? '/';
        const query = recs(m.queryParams).flatMap((q) => ((str(q.type) ?? 'Exact') === 'Exact' ? [`${encodeURIComponent(str(q.name) ?? '')}=${encodeURIComponent(str(q.value) ?? '')}`] : []));
        const method = str(m.method) ?? 'GET';
        const full = `${path}${query.length ? `?${query.join('&')}` : ''}`;
        found.set(`${method} ${full}`, { method, path: full });
      }
    }
  }
  return [...found.values()];
}

/**
 * How HTTPRoutes test a request's method and path, one test per rule match (see
 * `ingressRouteTests`): for the access matrix's probes.
 */
export function gatewayApiRouteTests(model: MeshModel): RequestTests {
  const methods: ((method: string) => boolean)[] = [];
  const paths: ((path: string) => boolean)[] = [];
  const empty: HttpRequest = { method: '', path: '/', host: '', headers: {} };
  for (const route of model.ofKind('HTTPRoute')) {
    for (const rule of recs(route.spec.rules)) {
      for (const match of recs(rule.matches)) {
        methods.push((method) => str(match.method) === undefined || str(match.method) === method);
        // The path half of the match alone (headers unknown, so they hold): query parameters
        // are read from the path, so a probe path with a query is tested with it.
        paths.push((path) => matchHolds({ path: match.path, queryParams: match.queryParams }, { ...empty, path }, false));
      }
    }
  }
  return { methods, paths };
}
