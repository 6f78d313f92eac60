import type { Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { Construct } from 'constructs';
import {
  Gateway, GatewaySpecListeners, GatewaySpecListenersAllowedRoutesNamespacesFrom, GatewaySpecListenersTlsMode,
  HttpRoute, HttpRouteSpecRules, HttpRouteSpecRulesMatches, HttpRouteSpecRulesMatchesHeadersType, HttpRouteSpecRulesMatchesPathType,
  ReferenceGrant,
} from '../imports/gateway.networking.k8s.io.js';
import { AuthorizationPolicySpecAction, AuthorizationPolicySpecRules } from '../imports/security.istio.io.js';
import { claimCondition } from './claims.js';
import { checkDnsLabel, ZeroTrustConfigError } from './errors.js';
import { IngressGateway } from './ingress-gateway.js';
import { JwtIssuer } from './jwt-issuer.js';
import { JwtProtectedService } from './jwt-protected-service.js';
import { ManifestHeader, ManifestObject } from './manifest-object.js';
import type { MeshWorkload } from './mesh-workload.js';
import { workloadPolicySpec } from './network-policy.js';
import { SecurityManifest } from './security-manifest.js';
import type { CheckedRoute } from './workload-version.js';

/**
 * The Kubernetes Gateway API form of an ingress host (https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/):
 * a `Gateway` of class `istio`, for which Istio deploys a gateway of its own (Deployment, Service
 * and ServiceAccount `<gateway>-istio` in the Gateway's namespace), and an `HTTPRoute` to the
 * services. MeshIngress builds it when `api` is `'gateway-api'`; see docs/gateway-api.md.
 * @internal
 */
export interface GatewayApiIngressProps {
  /** The Gateway's and HTTPRoute's name; the gateway's identity is `<name>-istio`. */
  readonly name: string;
  /** The Gateway's namespace (the first route's). */
  readonly namespace: string;
  readonly host: string;
  readonly routes: readonly GatewayApiRoute[];
  /** The TLS Secret; plain HTTP on port 80 without it. */
  readonly tls?: { readonly secretName: string; readonly secretNamespace: string };
  /** The plaintext acknowledgement, written on the Gateway. */
  readonly annotations: Readonly<Record<string, string>>;
  /** `MeshIngress "<ns>/<name>"`, for errors. */
  readonly self: string;
}

/** One routed service, as MeshIngress checked it. @internal */
export interface GatewayApiRoute {
  readonly service: MeshWorkload;
  readonly prefixes: readonly string[];
  readonly port: number;
  readonly methods?: readonly string[];
  readonly claims?: Readonly<Record<string, readonly string[]>>;
}

/** The label Istio puts on a Gateway API gateway's pods (istio:pilot/pkg/config/kube/gateway/ kube-gateway.yaml). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/**
 * The gateway Istio deploys for a class-`istio` Gateway, as a caller of the mesh: ServiceAccount
 * `<gateway>-istio` in the Gateway's namespace (istio:pilot/pkg/config/kube/gatewaycommon/
 * gateway_utils.go GetDefaultName; ISTIO.md §10.2), pods labelled with the Gateway's name.
 */
export function gatewayApiIdentity(namespace: string, gatewayName: string): IngressGateway {
  return IngressGateway.of({ namespace, serviceAccount: `${gatewayName}-istio`, selector: { [GATEWAY_NAME_LABEL]: gatewayName } });
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/**
 * Emits the Gateway, the HTTPRoute, the ReferenceGrants a cross-namespace reference needs, a
 * Service per routed version, and the gateway pods' own policies: JWT validation and an ALLOW
 * list of the routed requests attached to the Gateway by `targetRefs` (ISTIO.md §10.5), and the
 * NetworkPolicy that lets the internet in and the gateway out to its backends (the gateway runs
 * in a namespace whose default deny isolates every pod).
 * @internal
 */
export class GatewayApiIngress extends Construct {
  /** The gateway's identity, the caller of every backend. */
  public readonly identity: IngressGateway;

  public constructor(scope: Construct, id: string, props: GatewayApiIngressProps) {
    super(scope, id);
    const { name, namespace: ns, host, self } = props;
    // Istio names the gateway's Deployment, Service and ServiceAccount `<name>-istio`, a DNS label.
    checkDnsLabel(`${name}-istio`, self, 'name');
    this.identity = gatewayApiIdentity(ns, name);
    const listenerPort = props.tls ? 443 : 80;
    const sectionName = props.tls ? 'https' : 'http';

    if (props.tls) {
      checkDnsLabel(props.tls.secretNamespace, self, 'tlsCredentialNamespace');
    }
    const certificateRef = props.tls
      ? { group: '', kind: 'Secret', name: props.tls.secretName, ...(props.tls.secretNamespace !== ns ? { namespace: props.tls.secretNamespace } : {}) }
      : undefined;
    // Only routes of the Gateway's own namespace attach (`from: Same`, the default, written out):
    // another namespace's HTTPRoute cannot capture this host.
    const listener: GatewaySpecListeners = {
      name: sectionName,
      hostname: host,
      port: listenerPort,
      protocol: props.tls ? 'HTTPS' : 'HTTP',
      ...(certificateRef ? { tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [certificateRef] } } : {}),
      allowedRoutes: { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } },
    };
    new ManifestObject(this, 'gateway', Gateway.manifest({
      metadata: { name, namespace: ns, ...(Object.keys(props.annotations).length ? { annotations: { ...props.annotations } } : {}) },
      spec: { gatewayClassName: 'istio', listeners: [listener] },
    }));

    // A Secret in another namespace is usable only with that namespace's consent (ISTIO.md §10.3;
    // without it Istio drops the HTTPS listener).
    if (props.tls && props.tls.secretNamespace !== ns) {
      new ManifestObject(this, 'certificate-grant', ReferenceGrant.manifest({
        metadata: { name: `${ns}-${name}-certificate`, namespace: props.tls.secretNamespace },
        spec: {
          from: [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace: ns }],
          to: [{ group: '', kind: 'Secret', name: props.tls.secretName }],
        },
      }));
    }

    // Version Services: an HTTPRoute's backendRefs name Services, not DestinationRule subsets, so
    // each routed version gets a Service of its own selecting its pods (istio.io, "Traffic
    // Shifting" task, Gateway API tab: reviews-v1, reviews-v2, ...).
    const versionServices = new Map<string, string>();
    for (const { service } of props.routes) {
      if (service.versionRoutes.length === 0) continue;
      const used = [...new Set(service.versionRoutes.flatMap((r) => r.weights.map(([v]) => v)))].sort();
      for (const version of used) {
        const serviceName = `${service.name}-${version}`;
        checkDnsLabel(serviceName, self, `routes: Service of version ${version}`);
        versionServices.set(`${service.namespace.name}/${serviceName}`, serviceName);
        new ManifestObject(this, `version-service:${service.namespace.name}/${serviceName}`, {
          apiVersion: 'v1', kind: 'Service',
          metadata: { name: serviceName, namespace: service.namespace.name, labels: { app: service.name, version } },
          spec: {
            selector: { ...service.selector, version },
            ports: service.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP' })),
          },
        } satisfies ManifestHeader<Service> & { spec: Service['spec'] });
      }
    }

    // Cross-namespace backends: one ReferenceGrant per backend namespace, naming each Service.
    const crossNamespace = new Map<string, Set<string>>();
    const backend = (service: MeshWorkload, serviceName: string) => {
      const bns = service.namespace.name;
      if (bns !== ns) {
        const names = crossNamespace.get(bns) ?? new Set<string>();
        names.add(serviceName);
        crossNamespace.set(bns, names);
      }
      return bns !== ns ? { namespace: bns } : {};
    };

    const rules: HttpRouteSpecRules[] = props.routes.flatMap((route) => {
      const { service, prefixes, port } = route;
      // Methods are left to the gateway's policy (403, as the Istio form answers), not matched (404).
      const pathMatches: HttpRouteSpecRulesMatches[] = prefixes.map((value) => ({ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value } }));
      if (service.versionRoutes.length === 0) {
        return [{ matches: pathMatches, backendRefs: [{ name: service.name, port, ...backend(service, service.name) }] }];
      }
      return service.versionRoutes.map((r: CheckedRoute) => ({
        matches: pathMatches.map((m) => (r.headers.length
          ? { ...m, headers: r.headers.map(([hname, value]) => ({ type: HttpRouteSpecRulesMatchesHeadersType.EXACT, name: hname, value })) }
          : m)),
        backendRefs: r.weights.map(([version, weight]) => ({
          name: `${service.name}-${version}`, port, ...backend(service, `${service.name}-${version}`),
          ...(r.weights.length > 1 ? { weight } : {}),
        })),
      }));
    });
    new ManifestObject(this, 'route', HttpRoute.manifest({
      metadata: { name, namespace: ns },
      spec: { parentRefs: [{ name, sectionName }], hostnames: [host], rules },
    }));
    for (const [bns, names] of [...crossNamespace].sort(([x], [y]) => x.localeCompare(y))) {
      new ManifestObject(this, `backend-grant:${bns}`, ReferenceGrant.manifest({
        metadata: { name: `${ns}-${name}-routes`, namespace: bns },
        spec: {
          from: [{ group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: ns }],
          to: [...names].sort().map((n) => ({ group: '', kind: 'Service', name: n })),
        },
      }));
    }

    this.emitGatewayPolicies(props, listenerPort);
    this.emitNetworkPolicy(props, listenerPort);
  }

  /**
   * JWT at the gateway (ISTIO.md §3.6, §10.5): the routed services' issuers validate the token
   * here too, so a bad token is refused at the edge (401), and the token is forwarded for the
   * services to check again. The ALLOW policy admits the routed requests only, with a token where
   * the service requires one. Both are attached by `targetRefs` to the Gateway, in its namespace,
   * which Istio applies to the gateway's pods whatever ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY
   * says (istio:pilot/pkg/model/policyattachment.go).
   */
  private emitGatewayPolicies(props: GatewayApiIngressProps, listenerPort: number): void {
    const { name, namespace: ns } = props;
    const targetRefs = [{ group: GATEWAY_GROUP, kind: 'Gateway', name }];
    const issuers = new Map<string, JwtIssuer>();
    for (const { service } of props.routes) {
      if (service instanceof JwtProtectedService) for (const i of service.issuers) if (!issuers.has(i.issuer)) issuers.set(i.issuer, i);
    }
    if (issuers.size > 0) {
      new ManifestObject(this, 'jwt', SecurityManifest.requestAuthentication({
        metadata: { name: `${name}-gateway`, namespace: ns },
        spec: {
          targetRefs,
          jwtRules: [...issuers.values()].map((issuer) => ({
            issuer: issuer.issuer,
            ...(issuer.jwksUri ? { jwksUri: issuer.jwksUri } : {}),
            ...(issuer.jwks ? { jwks: issuer.jwks } : {}),
            ...(issuer.audiences.length ? { audiences: [...issuer.audiences] } : {}),
            // The services behind check the token again (§3.5).
            forwardOriginalToken: true,
          })),
        },
      }));
    }
    const rules: AuthorizationPolicySpecRules[] = props.routes.map((route, r) => {
      const paths = gatewayPaths(route.prefixes);
      const needsToken = route.service instanceof JwtProtectedService;
      const when = Object.entries(route.claims ?? {}).map(([claim, values]) => claimCondition(claim, values, props.self, `routes[${r}].claims.${claim}`));
      return {
        ...(needsToken ? { from: [{ source: { requestPrincipals: (route.service as JwtProtectedService).issuers.map((i) => i.anySubject) } }] } : {}),
        to: [{ operation: { ports: [String(listenerPort)], ...(route.methods ? { methods: [...route.methods] } : {}), ...(paths.length ? { paths } : {}) } }],
        ...(when.length ? { when } : {}),
      };
    });
    new ManifestObject(this, 'gateway-policy', SecurityManifest.authorizationPolicy({
      metadata: { name: `${name}-gateway`, namespace: ns },
      spec: { targetRefs, action: AuthorizationPolicySpecAction.ALLOW, rules },
    }));
  }

  /**
   * The gateway pods' NetworkPolicy: in from anywhere on the listener port only (no HBONE port:
   * clients outside the mesh speak HTTP(S) to it), out to each backend's pods.
   */
  private emitNetworkPolicy(props: GatewayApiIngressProps, listenerPort: number): void {
    const { name, namespace: ns } = props;
    const selector = { [GATEWAY_NAME_LABEL]: name };
    const egress = props.routes.map(({ service, port }) => {
      const servicePort = service.ports.find((p) => p.port === port)!;
      return { peer: { kind: 'pods' as const, namespace: service.namespace.name, podLabels: service.selector }, ports: [servicePort.targetPort] };
    });
    new ManifestObject(this, 'network', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${name}-istio`, namespace: ns },
      spec: { ...workloadPolicySpec(selector, [], egress), policyTypes: ['Ingress', 'Egress'], ingress: [{ ports: [{ protocol: 'TCP', port: listenerPort }] }] },
    } satisfies ManifestHeader<NetworkPolicy> & { spec: NetworkPolicy['spec'] });
  }
}

/** The AP paths of element-wise path prefixes (`/a` covers `/a` and `/a/...`); none for `/`. */
function gatewayPaths(prefixes: readonly string[]): string[] {
  return prefixes.includes('/') ? [] : prefixes.flatMap((p) => (p.endsWith('/') ? [`${p}*`] : [p, `${p}/*`]));
}

/** Refuses MeshIngress options that mean nothing for the API in use. @internal */
export function checkIngressApiOptions(api: string, options: { gateway: boolean; tlsCredentialNamespace: boolean }, self: string): void {
  if (api !== 'istio' && api !== 'gateway-api') {
    throw new ZeroTrustConfigError(self, 'api', `"${api}" is not an ingress API.`, 'use "istio" (Gateway + VirtualService) or "gateway-api" (Kubernetes Gateway + HTTPRoute).');
  }
  if (api === 'gateway-api' && options.gateway) {
    throw new ZeroTrustConfigError(self, 'gateway',
      'names an installed ingress gateway, but with the Gateway API Istio deploys a gateway for each Gateway (ServiceAccount <name>-istio).',
      'drop gateway, or use api: "istio" to bind to the installed gateway.');
  }
  if (api === 'istio' && options.tlsCredentialNamespace) {
    throw new ZeroTrustConfigError(self, 'tlsCredentialNamespace',
      'is only for the Gateway API: an Istio Gateway reads its credentialName from the gateway pods\' namespace.',
      'put the Secret in the gateway pods\' namespace and drop tlsCredentialNamespace, or use api: "gateway-api".');
  }
}
