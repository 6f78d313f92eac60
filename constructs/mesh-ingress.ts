import { Construct } from 'constructs';
import { Gateway, GatewaySpecServers, GatewaySpecServersTlsMode, VirtualService } from '../imports/networking.istio.io.js';
import { checkDnsLabel, checkHostName, ZeroTrustConfigError } from './errors.js';
import { checkIngressApiOptions, GatewayApiIngress } from './gateway-api-ingress.js';
import { Grant } from './grant.js';
import { IngressGateway } from './ingress-gateway.js';
import { MeshWorkload } from './mesh-workload.js';
import { acknowledgementAnnotation } from './security-posture.js';
import { ManifestObject } from './manifest-object.js';
import { versionHttpRoute } from './workload-version.js';

/** One service behind an ingress host, and the requests that reach it. */
export interface IngressRoute {
  /** The service the paths route to. */
  readonly service: MeshWorkload;
  /**
   * Path prefixes routed to the service. A prefix is matched as a raw string (`/api` also
   * matches `/apis`), so a prefix under an earlier route's prefix is refused: it would never be
   * reached.
   * @default ['/']
   */
  readonly pathPrefixes?: readonly string[];
  /**
   * The service's HTTP port to route to.
   * @default - its first HTTP port
   */
  readonly port?: number;
  /**
   * HTTP methods the gateway may forward to the service.
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * Claims the end user's token must carry on this route (the service must require a token), e.g.
   * `{ groups: ['admin'] }` for an admin API.
   * @default - none beyond the service's requiredClaims
   */
  readonly claims?: Readonly<Record<string, readonly string[]>>;
}

/**
 * How an ingress is written: `istio` is Istio's own Gateway and VirtualService, bound to an
 * installed ingress gateway; `gateway-api` is the Kubernetes Gateway API (Gateway of class
 * `istio` and HTTPRoute), for which Istio deploys a gateway per Gateway (docs/gateway-api.md).
 */
export type IngressApi = 'istio' | 'gateway-api';

/** Props of an ingress host: one service (`service`, ...) or several by path (`routes`). */
export interface MeshIngressProps {
  /** The external host name clients use, e.g. `api.example.com` (no wildcard). */
  readonly host: string;
  /**
   * The one service the host routes to; give `routes` instead for several.
   * @default - none: `routes` is required then
   */
  readonly service?: MeshWorkload;
  /**
   * Path prefixes routed to `service`; everything else gets 404 at the gateway.
   * @default ['/']
   */
  readonly pathPrefixes?: readonly string[];
  /**
   * The HTTP port of `service` to route to.
   * @default - its first HTTP port
   */
  readonly port?: number;
  /**
   * HTTP methods the gateway may forward to `service`.
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * Claims the end user's token must carry to reach `service` through this host.
   * @default - none beyond the service's requiredClaims
   */
  readonly claims?: Readonly<Record<string, readonly string[]>>;
  /**
   * Several services on one host, by path prefix, tried in order. The Gateway and the
   * VirtualService go in the first route's namespace.
   * @default - the one route of `service`
   */
  readonly routes?: readonly IngressRoute[];
  /**
   * Terminate TLS at the gateway with this Secret (in the gateway pods' namespace), and
   * redirect plain HTTP to HTTPS.
   * @default - plain HTTP only, refused outside dev unless acknowledged
   */
  readonly tlsCredentialName?: string;
  /**
   * The ingress gateway deployment to bind to (Istio API only: with the Gateway API, Istio deploys
   * the gateway itself, as `<name>-istio`).
   * @default - the mesh's ingress gateway
   */
  readonly gateway?: IngressGateway;
  /**
   * Which API writes the ingress: Istio's Gateway + VirtualService, or the Kubernetes Gateway API
   * (Gateway of class `istio` + HTTPRoute, in the first route's namespace, its gateway running
   * there as ServiceAccount `<name>-istio`; see docs/gateway-api.md).
   * @default 'istio'
   */
  readonly api?: IngressApi;
  /**
   * Gateway API only: the namespace of the TLS Secret `tlsCredentialName`. Another namespace than
   * the Gateway's gets a ReferenceGrant there, which lets this Gateway read that Secret.
   * @default - the Gateway's namespace
   */
  readonly tlsCredentialNamespace?: string;
}

/**
 * Exposes services through the Istio ingress gateway under one host: a `Gateway` for the host,
 * a `VirtualService` routing its path prefixes to the services (following each service's routes
 * among versions), and for each route the grant that lets the gateway's identity call the
 * service on those paths. One MeshIngress per host: a second for the same host is refused.
 * With `api: 'gateway-api'` the same routes are a Kubernetes Gateway and HTTPRoute instead, with
 * the grants from the gateway Istio deploys for it (docs/gateway-api.md).
 */
export class MeshIngress extends Construct {
  public readonly host: string;
  /** The API the ingress is written in. */
  public readonly api: IngressApi;
  /** The gateway whose identity calls the services: the installed one, or `<name>-istio` for the Gateway API. */
  public readonly gatewayIdentity: IngressGateway;
  /** The grants from the ingress gateway, one per route. */
  public readonly grants: readonly Grant[];

  public constructor(scope: Construct, name: string, props: MeshIngressProps) {
    // ":" cannot appear in a workload name, so the ingress never collides with one in the tree.
    super(scope, `ingress:${name}`);
    const routes = routesOf(props, name);
    const first = routes[0]!.service;
    const ns = first.namespace.name;
    const mesh = first.namespace.mesh;
    const self = `MeshIngress "${ns}/${name}"`;
    checkDnsLabel(name, self, 'name');
    checkHostName(props.host, self, 'host');
    this.host = props.host;
    const api = props.api ?? 'istio';
    this.api = api;
    checkIngressApiOptions(api, { gateway: props.gateway !== undefined, tlsCredentialNamespace: props.tlsCredentialNamespace !== undefined }, self);
    const resolved = resolveRoutes(routes, props.routes ? 'routes' : '', self);
    mesh.registerIngressHost(props.host, self);

    let ack: string | undefined;
    if (!props.tlsCredentialName) {
      ack = mesh.posture.permit('plaintextIngress', {
        construct: self, field: 'tlsCredentialName',
        problem: 'the gateway would serve plain HTTP, so end-user tokens cross the internet in cleartext.',
        fix: 'set tlsCredentialName to the TLS Secret in the gateway\'s namespace.',
      });
    }
    const annotations: Record<string, string> = ack ? { [acknowledgementAnnotation('plaintextIngress')]: ack } : {};

    if (api === 'gateway-api') {
      // The gateway Istio deploys runs in this namespace as <name>-istio: reserve the name.
      first.namespace.registerWorkload(`${name}-istio`, `${name}-istio`, self);
      const ingress = new GatewayApiIngress(this, 'gateway-api', {
        name, namespace: ns, host: props.host, annotations, self,
        routes: resolved.map(({ route, service, prefixes, port }) => ({
          service, prefixes, port, ...(route.methods ? { methods: route.methods } : {}), ...(route.claims ? { claims: route.claims } : {}),
        })),
        ...(props.tlsCredentialName ? { tls: { secretName: props.tlsCredentialName, secretNamespace: props.tlsCredentialNamespace ?? ns } } : {}),
      });
      this.gatewayIdentity = ingress.identity;
      this.grants = this.grantFrom(ingress.identity, resolved, props.host);
      return;
    }
    const gateway = props.gateway ?? mesh.ingressGateway;
    this.gatewayIdentity = gateway;

    // Hosts are written `<namespace>/<host>` so only this namespace's VirtualServices may bind.
    const hosts = [`${ns}/${props.host}`];
    const servers: GatewaySpecServers[] = props.tlsCredentialName
      ? [
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts, tls: { mode: GatewaySpecServersTlsMode.SIMPLE, credentialName: props.tlsCredentialName } },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts, tls: { httpsRedirect: true } },
      ]
      : [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }];
    new ManifestObject(this, 'gateway', Gateway.manifest({
      metadata: { name, namespace: ns, ...(ack ? { annotations } : {}) },
      spec: { selector: { ...gateway.selector }, servers },
    }));

    // Full service names: a short host would resolve in the VirtualService's namespace
    // (istio.io, "Virtual Service" reference: Destination.host). A service with routes among its
    // versions gets the same split here: the mesh's VirtualService (no `gateways`) does not apply
    // to traffic from the ingress gateway.
    new ManifestObject(this, 'routes', VirtualService.manifest({
      metadata: { name, namespace: ns },
      spec: {
        hosts: [props.host],
        gateways: [`${ns}/${name}`],
        http: resolved.flatMap(({ service, prefixes, port }) => {
          const host = `${service.name}.${service.namespace.name}.svc.cluster.local`;
          return service.versionRoutes.length
            ? service.versionRoutes.map((r) => versionHttpRoute(r, host, port, prefixes, `${service.name}-${r.name}`))
            : [{ name: service.name, match: prefixes.map((prefix) => ({ uri: { prefix } })), route: [{ destination: { host, port: { number: port } } }] }];
        }),
      },
    }));

    this.grants = this.grantFrom(gateway, resolved, props.host);
  }

  /**
   * The gateway may call each service on its routed paths only. A VirtualService prefix is a raw
   * string prefix, an HTTPRoute PathPrefix an element-wise one; the policy allows the prefix
   * itself and what lies below it, which is exact for the latter and stricter for the former.
   */
  private grantFrom(gateway: IngressGateway, resolved: readonly ResolvedRoute[], host: string): Grant[] {
    return resolved.map(({ service, prefixes, port, route }) => {
      const paths = prefixes.includes('/') ? [] : prefixes.flatMap((p) => (p.endsWith('/') ? [`${p}*`] : [p, `${p}/*`]));
      return service.allowFrom(gateway, {
        ports: [port],
        ...(route.methods ? { methods: route.methods } : {}),
        ...(paths.length ? { paths } : {}),
        ...(route.claims ? { claims: route.claims } : {}),
        reason: `ingress for ${host}`,
      });
    });
  }

  /** The grant of the first (or only) route. */
  public get grant(): Grant {
    return this.grants[0]!;
  }
}

/** The routes the props describe: `routes`, or the one route of `service`. */
function routesOf(props: MeshIngressProps, name: string): readonly IngressRoute[] {
  const single = props.service !== undefined || props.pathPrefixes !== undefined || props.port !== undefined || props.methods !== undefined || props.claims !== undefined;
  const self = `MeshIngress "${name}"`;
  if (props.routes !== undefined && single) {
    throw new ZeroTrustConfigError(self, 'routes', 'is given together with service (or its pathPrefixes, port, methods, claims).',
      'give either one service with its options, or routes, each with its service and options.');
  }
  if (props.routes !== undefined) {
    if (props.routes.length === 0) throw new ZeroTrustConfigError(self, 'routes', 'is empty.', 'route at least one service.');
    return props.routes;
  }
  if (!props.service) throw new ZeroTrustConfigError(self, 'service', 'no service is given.', 'name the service to expose, or give routes.');
  return [{ service: props.service, ...props }];
}

interface ResolvedRoute {
  readonly route: IngressRoute;
  readonly service: MeshWorkload;
  readonly prefixes: readonly string[];
  readonly port: number;
}

/** Checks each route's prefixes and port; refuses a prefix an earlier one shadows. */
function resolveRoutes(routes: readonly IngressRoute[], field: string, self: string): ResolvedRoute[] {
  const earlier: { prefix: string; index: number }[] = [];
  const services = new Set<MeshWorkload>();
  return routes.map((route, r) => {
    const at = (f: string) => (field ? `${field}[${r}].${f}` : f);
    const service = route.service;
    if (services.has(service)) {
      throw new ZeroTrustConfigError(self, at('service'), `${service.namespace.name}/${service.name} is routed twice.`, 'list all of its prefixes in one route.');
    }
    services.add(service);
    const prefixes = [...(route.pathPrefixes ?? ['/'])];
    prefixes.forEach((p, i) => {
      if (!p.startsWith('/') || /[*?]/.test(p)) {
        throw new ZeroTrustConfigError(self, at(`pathPrefixes[${i}]`), `"${p}" is not a path prefix.`, 'write a plain prefix starting with "/", e.g. "/products".');
      }
      const shadow = earlier.find((e) => p.startsWith(e.prefix));
      if (shadow) {
        throw new ZeroTrustConfigError(self, at(`pathPrefixes[${i}]`),
          `"${p}" is never reached: the earlier prefix "${shadow.prefix}"${shadow.index === r ? '' : ` (routes[${shadow.index}])`} already matches every such path (routes are tried in order).`,
          'put the more specific prefix first, or drop it.');
      }
    });
    prefixes.forEach((prefix) => earlier.push({ prefix, index: r }));
    const port = route.port !== undefined
      ? service.ports.find((p) => p.port === route.port)
      : service.ports.find((p) => p.isHttp);
    if (!port || !port.isHttp) {
      const has = service.ports.filter((p) => p.isHttp).map((p) => p.port).join(', ');
      throw new ZeroTrustConfigError(self, at('port'),
        `the service ${service.namespace.name}/${service.name} has no HTTP port${route.port !== undefined ? ` ${route.port}` : ''} to route to (its HTTP ports: ${has || 'none'}).`,
        has ? `route to one of its HTTP ports: ${has}.` : 'give the service an HTTP port (ServicePort.http) and name it here.');
    }
    return { route, service, prefixes, port: port.port };
  });
}
