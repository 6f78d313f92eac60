import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicySpecAction, AuthorizationPolicySpecRules } from '../imports/security.istio.io.js';
import {
  DestinationRule, DestinationRuleSpec, DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode, Gateway, GatewaySpec,
  GatewaySpecServersTlsMode, ServiceEntry, ServiceEntrySpec, ServiceEntrySpecLocation, ServiceEntrySpecResolution, VirtualService,
  VirtualServiceSpec,
} from '../imports/networking.istio.io.js';
import type { EgressGateway } from './egress-gateway.js';
import type { ExternalHost } from './external-host.js';
import { ManifestObject } from './manifest-object.js';
import { SecurityManifest } from './security-manifest.js';

/** Who calls an external host through the gateway. */
export interface EgressCaller {
  /** The caller's namespace: the host's ServiceEntry and routes are exported there. */
  readonly namespace: string;
  /** The caller's principal, which the gateway's AuthorizationPolicy admits. */
  readonly principal: string;
}

interface Route {
  readonly host: ExternalHost;
  readonly subset: string;
  readonly principals: Set<string>;
  readonly namespaces: Set<string>;
}

/**
 * The objects that send a mesh's external hosts through its egress gateway
 * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/), all in the
 * gateway's namespace. Per host:
 * - a ServiceEntry (`resolution: DNS`: with NONE the gateway would forward to the address it was
 *   called on, itself), exported to the gateway's namespace and to the callers' namespaces only;
 * - a Gateway server on the gateway's port for the host with `tls.mode: ISTIO_MUTUAL`: the gateway
 *   terminates the callers' Istio mTLS, so it knows who is calling;
 * - a VirtualService bound to the mesh (callers' sidecars send the host to the gateway) and to
 *   the Gateway (the gateway forwards it to the host);
 * - an ALLOW AuthorizationPolicy on the gateway pods admitting the callers' principals for this
 *   host (matched by SNI, which the callers' DestinationRule subset sets to the host).
 * And one DestinationRule for the gateway's Service with a subset per host, `ISTIO_MUTUAL` with
 * the host as SNI: auto mTLS would send plaintext, because gateway pods do not carry the
 * `security.istio.io/tlsMode` label, and over plaintext the gateway could not tell callers apart.
 * Created by the mesh on the first routed `allowTo`.
 * @internal
 */
export class EgressGatewayRoutes extends Construct {
  private readonly routes = new Map<string, Route>();
  private readonly subsetNames = new Set<string>();

  public constructor(scope: Construct, id: string, private readonly gateway: EgressGateway) {
    super(scope, id);
    new ManifestObject(this, 'gateway-tls', {
      apiVersion: DestinationRule.GVK.apiVersion,
      kind: DestinationRule.GVK.kind,
      metadata: { name: `${gateway.service}-egress-routes`, namespace: gateway.namespace },
      spec: Lazy.any({ produce: (): DestinationRuleSpec => this.destinationRule() }),
    } as never);
  }

  /** Routes `host` through the gateway for `caller`; the host's objects are created on its first caller. */
  public route(host: ExternalHost, caller: EgressCaller): void {
    const key = `${host.host}:${host.port}`;
    let route = this.routes.get(key);
    if (!route) {
      route = { host, subset: this.subsetName(host), principals: new Set(), namespaces: new Set() };
      this.routes.set(key, route);
      this.emit(route);
    }
    route.principals.add(caller.principal);
    route.namespaces.add(caller.namespace);
  }

  private emit(route: Route): void {
    const { host } = route;
    const gw = this.gateway;
    const namespace = gw.namespace;
    const name = `egress-${host.host.replace(/\./g, '-')}-${host.port}`;
    const exportTo = (): string[] => ['.', ...[...route.namespaces].filter((n) => n !== namespace).sort()];
    const http = host.protocol === 'HTTP';

    new ManifestObject(this, `${name}-entry`, {
      apiVersion: ServiceEntry.GVK.apiVersion,
      kind: ServiceEntry.GVK.kind,
      metadata: { name, namespace },
      spec: Lazy.any({
        produce: (): ServiceEntrySpec => ({
          hosts: [host.host],
          exportTo: exportTo(),
          location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
          resolution: ServiceEntrySpecResolution.DNS,
          ports: [{ number: host.port, name: host.portName, protocol: host.protocol }],
        }),
      }),
    } as never);

    // HTTP arrives as HTTP inside the mTLS (the gateway routes it by Host); TLS arrives as the
    // app's own TLS inside the mTLS, forwarded as TCP.
    new ManifestObject(this, `${name}-gateway`, Gateway.manifest({
      metadata: { name, namespace },
      spec: {
        selector: { ...gw.selector },
        servers: [{
          port: { number: gw.port, name: http ? 'https-egress' : 'tls-egress', protocol: http ? 'HTTPS' : 'TLS' },
          hosts: [`${namespace}/${host.host}`],
          tls: { mode: GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL },
        }],
      } satisfies GatewaySpec,
    }));

    const toGateway = [{ destination: { host: gw.serviceHost, subset: route.subset, port: { number: gw.port } } }];
    const toHost = [{ destination: { host: host.host, port: { number: host.port } } }];
    const gatewayRef = `${namespace}/${name}`;
    new ManifestObject(this, `${name}-routes`, {
      apiVersion: VirtualService.GVK.apiVersion,
      kind: VirtualService.GVK.kind,
      metadata: { name, namespace },
      spec: Lazy.any({
        produce: (): VirtualServiceSpec => ({
          hosts: [host.host],
          gateways: ['mesh', gatewayRef],
          exportTo: exportTo(),
          ...(http
            ? {
              http: [
                { name: 'to-egress-gateway', match: [{ gateways: ['mesh'], port: host.port }], route: toGateway },
                { name: 'to-host', match: [{ gateways: [gatewayRef], port: gw.port }], route: toHost },
              ],
            }
            : {
              tls: [{ match: [{ gateways: ['mesh'], port: host.port, sniHosts: [host.host] }], route: toGateway }],
              tcp: [{ match: [{ gateways: [gatewayRef], port: gw.port }], route: toHost }],
            }),
        }),
      }),
    } as never);

    // `connection.sni` names the host for HTTP and TLS alike: the callers' subset sets it.
    new ManifestObject(this, `${name}-callers`, SecurityManifest.authorizationPolicy({
      metadata: { name, namespace },
      spec: {
        selector: { matchLabels: { ...gw.selector } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: Lazy.any({
          produce: (): AuthorizationPolicySpecRules[] => [{
            from: [{ source: { principals: [...route.principals].sort() } }],
            when: [{ key: 'connection.sni', values: [host.host] }],
          }],
        }) as unknown as AuthorizationPolicySpecRules[],
      },
    }));
  }

  private destinationRule(): DestinationRuleSpec {
    const routes = [...this.routes.values()].sort((a, b) => a.subset.localeCompare(b.subset));
    const namespaces = new Set(routes.flatMap((r) => [...r.namespaces]));
    namespaces.delete(this.gateway.namespace);
    return {
      host: this.gateway.serviceHost,
      exportTo: ['.', ...[...namespaces].sort()],
      subsets: routes.map((r) => ({
        name: r.subset,
        trafficPolicy: { portLevelSettings: [{ port: { number: this.gateway.port }, tls: { mode: DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode.ISTIO_UNDERSCORE_MUTUAL, sni: r.host.host } }] },
      })),
    };
  }

  /** A subset name is a DNS label (at most 63 characters): long hosts are shortened, stably. */
  private subsetName(host: ExternalHost): string {
    const full = `${host.host.replace(/\./g, '-')}-${host.port}`;
    let name = full.length <= 63 ? full : `${full.slice(0, 54).replace(/-+$/, '')}-${fnv1a(full)}`;
    for (let i = 2; this.subsetNames.has(name); i++) name = `${name.slice(0, 60)}-${i}`;
    this.subsetNames.add(name);
    return name;
  }
}

/** A short, stable hash (FNV-1a, 32 bits, hex) for names that must be shortened. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
