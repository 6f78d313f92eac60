import { Construct } from 'constructs';
import { Gateway, GatewaySpecServers, GatewaySpecServersTlsMode, VirtualService } from '../imports/networking.istio.io.js';
import { checkDnsLabel, checkHostName, ZeroTrustConfigError } from './errors.js';
import { Grant } from './grant.js';
import { IngressGateway } from './ingress-gateway.js';
import { MeshWorkload } from './mesh-workload.js';
import { acknowledgementAnnotation } from './security-posture.js';
import { versionHttpRoute } from './workload-version.js';
import { ManifestObject } from './manifest-object.js';

/** Props of an ingress route to one service. */
export interface MeshIngressProps {
  /** The external host name clients use, e.g. `api.example.com` (no wildcard). */
  readonly host: string;
  /** The service the host routes to. */
  readonly service: MeshWorkload;
  /**
   * Path prefixes routed to the service; everything else gets 404 at the gateway.
   * @default ['/']
   */
  readonly pathPrefixes?: readonly string[];
  /**
   * The service's HTTP port to route to.
   * @default - its first HTTP port
   */
  readonly port?: number;
  /**
   * Terminate TLS at the gateway with this Secret (in the gateway pods' namespace), and
   * redirect plain HTTP to HTTPS.
   * @default - plain HTTP only, refused outside dev unless acknowledged
   */
  readonly tlsCredentialName?: string;
  /**
   * HTTP methods the gateway may forward.
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * The ingress gateway deployment to bind to.
   * @default - the mesh's ingress gateway
   */
  readonly gateway?: IngressGateway;
}

/**
 * Exposes one service through the Istio ingress gateway: a `Gateway` for the host, a
 * `VirtualService` routing its path prefixes to the service, and the grant that lets the
 * gateway's identity call the service on those paths.
 */
export class MeshIngress extends Construct {
  public readonly host: string;
  /** The grant from the ingress gateway to the service. */
  public readonly grant: Grant;

  public constructor(scope: Construct, name: string, props: MeshIngressProps) {
    // ":" cannot appear in a workload name, so the ingress never collides with one in the tree.
    super(scope, `ingress:${name}`);
    const service = props.service;
    const ns = service.namespace.name;
    const self = `MeshIngress "${ns}/${name}"`;
    checkDnsLabel(name, self, 'name');
    checkHostName(props.host, self, 'host');
    this.host = props.host;
    const gateway = props.gateway ?? service.namespace.mesh.ingressGateway;
    const prefixes = [...(props.pathPrefixes ?? ['/'])];
    prefixes.forEach((p, i) => {
      if (!p.startsWith('/') || /[*?]/.test(p)) {
        throw new ZeroTrustConfigError(self, `pathPrefixes[${i}]`, `"${p}" is not a path prefix.`, 'write a plain prefix starting with "/", e.g. "/products".');
      }
    });
    const port = props.port !== undefined
      ? service.ports.find((p) => p.port === props.port)
      : service.ports.find((p) => p.isHttp);
    if (!port || !port.isHttp) {
      const has = service.ports.filter((p) => p.isHttp).map((p) => p.port).join(', ');
      throw new ZeroTrustConfigError(self, 'port',
        `the service ${ns}/${service.name} has no HTTP port${props.port !== undefined ? ` ${props.port}` : ''} to route to (its HTTP ports: ${has || 'none'}).`,
        has ? `route to one of its HTTP ports: ${has}.` : 'give the service an HTTP port (ServicePort.http) and name it here.');
    }

    let ack: string | undefined;
    if (!props.tlsCredentialName) {
      ack = service.namespace.mesh.posture.permit('plaintextIngress', {
        construct: self, field: 'tlsCredentialName',
        problem: 'the gateway would serve plain HTTP, so end-user tokens cross the internet in cleartext.',
        fix: 'set tlsCredentialName to the TLS Secret in the gateway\'s namespace.',
      });
    }

    // Hosts are written `<namespace>/<host>` so only this namespace's VirtualServices may bind.
    const hosts = [`${ns}/${props.host}`];
    const servers: GatewaySpecServers[] = props.tlsCredentialName
      ? [
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts, tls: { mode: GatewaySpecServersTlsMode.SIMPLE, credentialName: props.tlsCredentialName } },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts, tls: { httpsRedirect: true } },
      ]
      : [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }];
    new ManifestObject(this, 'gateway', Gateway.manifest({
      metadata: { name, namespace: ns, ...(ack ? { annotations: { [acknowledgementAnnotation('plaintextIngress')]: ack } } : {}) },
      spec: { selector: { ...gateway.selector }, servers },
    }));

    // Full service name: a short host would resolve in the VirtualService's namespace
    // (istio.io, "Virtual Service" reference: Destination.host).
    new ManifestObject(this, 'routes', VirtualService.manifest({
      metadata: { name, namespace: ns },
      spec: {
        hosts: [props.host],
        gateways: [`${ns}/${name}`],
        // A service with routes among its versions gets the same split here: the mesh's
        // VirtualService (no `gateways`) does not apply to traffic from the ingress gateway.
        http: service.versionRoutes.length
          ? service.versionRoutes.map((r) => versionHttpRoute(r, `${service.name}.${ns}.svc.cluster.local`, port.port, prefixes))
          : [{
            name: service.name,
            match: prefixes.map((prefix) => ({ uri: { prefix } })),
            route: [{ destination: { host: `${service.name}.${ns}.svc.cluster.local`, port: { number: port.port } } }],
          }],
      },
    }));

    // The gateway may call the service on the routed paths only. A VirtualService prefix is a
    // raw string prefix; the policy allows the prefix itself and what lies below it.
    const paths = prefixes.includes('/') ? [] : prefixes.flatMap((p) => (p.endsWith('/') ? [`${p}*`] : [p, `${p}/*`]));
    this.grant = service.allowFrom(gateway, {
      ports: [port.port],
      ...(props.methods ? { methods: props.methods } : {}),
      ...(paths.length ? { paths } : {}),
      reason: `ingress for ${props.host}`,
    });
  }
}
