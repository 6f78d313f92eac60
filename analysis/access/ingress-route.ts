import { RE2JS } from 're2js';
import type { MeshModel, MeshObject, ServiceInfo, ServicePortInfo } from '../model.js';
import { hostMatches, serverHostAdmits } from '../model.js';
import { isSubset, labelMap, own, rec, recs, str, strs } from '../values.js';

/**
 * Whether the ingress gateway routes a request to a Service: a Gateway selecting the gateway's
 * pods, a VirtualService bound to it whose host the Gateway exposes (`<ns>/<host>`), and the
 * first HTTP route matching the method and path sending it to the Service (istio.io, "Gateway"
 * and "Virtual Service" references; api: networking/v1 gateway.proto, virtual_service.proto:
 * routes are evaluated in order and the first match wins).
 */
export type IngressRoute =
  | { readonly routed: true; readonly host: string; readonly gatewayPort: number; readonly reason: string }
  | { readonly routed: false; readonly reason: string };

interface Server { readonly gateway: MeshObject; readonly port: number; readonly hosts: readonly string[]; readonly redirectOnly: boolean }

function serversOf(model: MeshModel, gatewayLabels: Readonly<Record<string, string>>): Server[] {
  return model.ofKind('Gateway')
    .filter((g) => { const selector = labelMap(g.spec.selector) ?? {}; return isSubset(selector, gatewayLabels); })
    .flatMap((gateway) => recs(gateway.spec.servers).map((s) => ({
      gateway,
      port: Number(rec(s.port)?.number ?? 0),
      hosts: strs(s.hosts),
      redirectOnly: rec(s.tls)?.httpsRedirect === true,
    })))
    // A client told to redirect comes back over TLS: try the serving servers first.
    .sort((a, b) => Number(a.redirectOnly) - Number(b.redirectOnly));
}

/** Whether a Gateway server host exposes a VirtualService's host. */
function exposes(serverHost: string, gatewayNamespace: string, vs: MeshObject, host: string): boolean {
  return serverHostAdmits(serverHost, gatewayNamespace, vs.namespace, host);
}

function boundTo(vs: MeshObject, gateway: MeshObject): boolean {
  return strs(vs.spec.gateways).some((g) => refersTo(g, vs, gateway));
}

/** An Istio StringMatch (`exact`, `prefix`, `regex` as an RE2 full match); `{}` only asks for presence. */
function stringMatch(match: Record<string, unknown> | undefined, value: string | undefined, ignoreCase = false): boolean {
  if (!match) return true;
  if (value === undefined) return false;
  const v = ignoreCase ? value.toLowerCase() : value;
  const fold = (x: string) => (ignoreCase ? x.toLowerCase() : x);
  if (str(match.exact) !== undefined) return v === fold(str(match.exact)!);
  if (str(match.prefix) !== undefined) return v.startsWith(fold(str(match.prefix)!));
  if (str(match.regex) !== undefined) return re2FullMatch(str(match.regex)!, value, ignoreCase);
  return true;
}

/**
 * Envoy matches a StringMatch `regex` with Google RE2 (istio.io, VirtualService reference,
 * StringMatch: "RE2 style regex-based match"), in time linear in the input. A JavaScript RegExp
 * both backtracks (`/(a+)+b` on a long path never returns) and accepts syntax RE2 refuses
 * (lookaround, backreferences). re2js is a pure JavaScript port of RE2/J with RE2's syntax and
 * linear-time matching; the native `re2` binding would need node-gyp and a compiler on every
 * machine that installs the package. A pattern RE2 refuses matches nothing: istiod's validation
 * rejects such a VirtualService (istio:pkg/config/validation/validation.go
 * validateStringMatchRegexp), so it routes nothing.
 */
export function re2FullMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const key = `${ignoreCase ? 'i' : '-'}${pattern}`;
  let compiled = RE2_CACHE.get(key);
  if (compiled === undefined) {
    try {
      compiled = RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    } catch {
      compiled = null;
    }
    RE2_CACHE.set(key, compiled);
  }
  return compiled !== null && compiled.matches(value);
}

const RE2_CACHE = new Map<string, RE2JS | null>();

/**
 * What is known about the request beyond its method and path. `headers` (lower-case names, `host`
 * only when the client set one) undefined means unknown: header, withoutHeaders and authority
 * conditions are then assumed to hold, as for a client free to send any header.
 */
export interface IngressRequestDetails {
  readonly headers?: Readonly<Record<string, string>>;
}

interface RouteContext {
  readonly method: string;
  /** The path with its query string. */
  readonly path: string;
  readonly server: Server;
  readonly vs: MeshObject;
  readonly gatewayLabels: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** One HTTPMatchRequest: every field it sets must hold (api: networking/v1 virtual_service.proto). */
function matchRequest(m: Record<string, unknown>, ctx: RouteContext): boolean {
  const [cleanPath, query = ''] = ctx.path.split(/\?(.*)/s, 2) as [string, string?];
  if (!stringMatch(rec(m.uri), cleanPath, m.ignoreUriCase === true)) return false;
  if (!stringMatch(rec(m.method), ctx.method)) return false;
  if (m.port !== undefined && Number(m.port) !== ctx.server.port) return false;
  const gateways = strs(m.gateways);
  if (gateways.length > 0 && !gateways.some((g) => refersTo(g, ctx.vs, ctx.server.gateway))) return false;
  const sourceLabels = labelMap(m.sourceLabels);
  if (sourceLabels && !isSubset(sourceLabels, ctx.gatewayLabels)) return false;
  const params = new URLSearchParams(query);
  for (const [name, match] of Object.entries(rec(m.queryParams) ?? {})) {
    if (!stringMatch(rec(match) ?? {}, params.get(name) ?? undefined)) return false;
  }
  if (ctx.headers) {
    const headers = ctx.headers;
    for (const [name, match] of Object.entries(rec(m.headers) ?? {})) {
      if (!stringMatch(rec(match) ?? {}, own(headers, name.toLowerCase()))) return false;
    }
    for (const [name, match] of Object.entries(rec(m.withoutHeaders) ?? {})) {
      if (stringMatch(rec(match) ?? {}, own(headers, name.toLowerCase()))) return false;
    }
    if (rec(m.authority) && !stringMatch(rec(m.authority), own(headers, 'host'))) return false;
  }
  return true;
}

/** An HTTP route's `match` list: empty matches everything; else any entry, all its fields. */
function routeMatches(route: Record<string, unknown>, ctx: RouteContext): boolean {
  const matches = recs(route.match);
  return matches.length === 0 || matches.some((m) => matchRequest(m, ctx));
}

/** Whether a VirtualService's `gateways` entry names the Gateway (`ns/name`, or `name` in the VirtualService's namespace). */
function refersTo(ref: string, vs: MeshObject, gateway: MeshObject): boolean {
  return ref === `${gateway.namespace}/${gateway.name}` || (ref === gateway.name && vs.namespace === gateway.namespace);
}

export function routeThroughIngress(
  model: MeshModel, gatewayLabels: Readonly<Record<string, string>>, service: ServiceInfo, port: ServicePortInfo, method: string, path: string,
  details: IngressRequestDetails = {},
): IngressRoute {
  const target = `${service.namespace}/${service.name}:${port.port}`;
  const cleanPath = path.split('?')[0]!;
  // The Host the client sent, when known: only virtual hosts for it can route the request.
  const requestHost = own(details.headers, 'host')?.replace(/:\d+$/, '');
  const servers = serversOf(model, gatewayLabels);
  if (servers.length === 0) return { routed: false, reason: 'no Gateway selects the ingress gateway\'s pods (404)' };
  const elsewhere: string[] = [];
  for (const server of servers) {
    for (const vs of model.ofKind('VirtualService').filter((v) => boundTo(v, server.gateway))) {
      const hosts = strs(vs.spec.hosts).filter((h) => server.hosts.some((sh) => exposes(sh, server.gateway.namespace ?? '', vs, h))
        && (requestHost === undefined || (hostMatches(h, requestHost) && server.hosts.some((sh) => hostMatches(sh.includes('/') ? sh.split('/', 2)[1]! : sh, requestHost)))));
      for (const host of hosts) {
        const ctx: RouteContext = { method, path, server, vs, gatewayLabels, headers: details.headers };
        const route = recs(vs.spec.http).find((r) => routeMatches(r, ctx));
        if (!route) continue;
        const destinations = recs(route.route).map((d) => rec(d.destination) ?? {});
        const hit = destinations.find((d) => {
          const resolved = model.resolveHost(str(d.host) ?? '', vs.namespace ?? 'default').service;
          const number = rec(d.port)?.number;
          return resolved === service && (number === undefined ? service.ports.length === 1 : Number(number) === port.port);
        });
        if (hit) {
          return {
            routed: true, host, gatewayPort: server.port,
            reason: `Gateway ${server.gateway.namespace}/${server.gateway.name} port ${server.port} + VirtualService ${vs.namespace}/${vs.name} route ${method} ${cleanPath} on ${host} to ${target}`,
          };
        }
        elsewhere.push(`VirtualService ${vs.namespace}/${vs.name} sends ${method} ${cleanPath} on ${host} elsewhere`);
      }
    }
  }
  return {
    routed: false,
    reason: `the ingress gateway routes ${method} ${cleanPath} to no port of ${target} (404)${elsewhere.length ? `: ${[...new Set(elsewhere)].join('; ')}` : ''}`,
  };
}

/**
 * The requests the ingress gateway would route to a Service port: the method and a concrete path
 * for each HTTP route that sends traffic there (an exact URI, or a prefix), for probing.
 */
export function ingressPathsTo(model: MeshModel, gatewayLabels: Readonly<Record<string, string>>, service: ServiceInfo, port: ServicePortInfo): { method: string; path: string }[] {
  const found = new Map<string, { method: string; path: string }>();
  for (const server of serversOf(model, gatewayLabels)) {
    for (const vs of model.ofKind('VirtualService').filter((v) => boundTo(v, server.gateway))) {
      for (const route of recs(vs.spec.http)) {
        const sendsHere = recs(route.route).some((d) => {
          const destination = rec(d.destination) ?? {};
          const number = rec(destination.port)?.number;
          return model.resolveHost(str(destination.host) ?? '', vs.namespace ?? 'default').service === service
            && (number === undefined ? service.ports.length === 1 : Number(number) === port.port);
        });
        if (!sendsHere) continue;
        const matches = recs(route.match);
        for (const m of matches.length > 0 ? matches : [{}]) {
          const uri = rec(m.uri);
          // Query parameters the route asks for exactly go into the probe, or it would not match.
          const query = Object.entries(rec(m.queryParams) ?? {}).flatMap(([name, q]) => (str(rec(q)?.exact) !== undefined ? [`${encodeURIComponent(name)}=${encodeURIComponent(str(rec(q)?.exact)!)}`] : []));
          const path = `${str(uri?.exact) ?? str(uri?.prefix) ?? '/'}${query.length > 0 ? `?${query.join('&')}` : ''}`;
          const method = str(rec(m.method)?.exact) ?? 'GET';
          found.set(`${method} ${path}`, { method, path });
        }
      }
    }
  }
  return found.size > 0 ? [...found.values()] : [{ method: 'GET', path: '/' }];
}

/** Tests of a request's method and path, each answering for one field of a policy or route (the access matrix's probe classes). */
export interface RequestTests {
  readonly methods: readonly ((method: string) => boolean)[];
  readonly paths: readonly ((path: string) => boolean)[];
}

/**
 * How the ingress gateway's VirtualService routes test a request's method and path, one test per
 * route match entry: two methods (paths) every test answers alike are routed alike, whatever the
 * other half of the request (`matchRequest` ANDs its fields). For the access matrix's probes.
 */
export function ingressRouteTests(model: MeshModel): RequestTests {
  const methods: ((method: string) => boolean)[] = [];
  const paths: ((path: string) => boolean)[] = [];
  for (const vs of model.ofKind('VirtualService')) {
    for (const route of recs(vs.spec.http)) {
      for (const m of recs(route.match)) {
        methods.push((method) => stringMatch(rec(m.method), method));
        paths.push((path) => stringMatch(rec(m.uri), path.split('?')[0]!, m.ignoreUriCase === true));
      }
    }
  }
  return { methods, paths };
}
