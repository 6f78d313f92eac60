// Every check, each with a manifest that triggers it and a near-identical one (a small textual
// change, shown in the case) that does not.
import { analyzeObjects, type AnalyzeOptions, CHECKS, INPUT_CHECKS, parseManifests, type Check } from '../../analysis/index.js';
import { EXPIRED_CERT, VALID_CERT } from './certificates.js';
import { analyzeYaml, app, BASE, codesOf, GATEWAY_POD, istio, join, ns } from './fixtures.js';

interface Case {
  readonly code: string;
  /** Tells cases of one code apart. */
  readonly variant?: string;
  readonly trigger: string;
  /** Replacements (every occurrence) that turn the trigger into the clean manifest. */
  readonly clean: readonly (readonly [string, string])[];
  /** meshConfig settings for both manifests. */
  readonly options?: AnalyzeOptions;
}

const ap = (name: string, spec: string, annotations?: string) => istio('AuthorizationPolicy', 'shop', name, spec, annotations);
const pa = (name: string, spec: string, namespace = 'shop') => istio('PeerAuthentication', namespace, name, spec);
const ra = (name: string, spec: string, namespace = 'shop') => istio('RequestAuthentication', namespace, name, spec);
const WEB = '"cluster.local/ns/shop/sa/web"';
const IDP = 'https://idp.example.com';
const RA_API = ra('api', `{selector: {matchLabels: {app: api}}, jwtRules: [{issuer: "${IDP}", jwksUri: "${IDP}/keys"}]}`);
const GATEWAY = (servers: string, name = 'gw') => istio('Gateway', 'shop', name, `{selector: {istio: ingressgateway}, servers: ${servers}}`);
const HTTPS_SERVER = '{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["shop/api.example.com"], tls: {mode: SIMPLE, credentialName: api-tls}}';
const VS = (spec: string, namespace = 'shop') => istio('VirtualService', namespace, 'routes', spec);
const ROUTE_API = 'http: [{route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 80}}}]}]';
const indent = (pem: string) => pem.split('\n').map((l) => `    ${l}`).join('\n');
/** A TLS Secret in the gateway pods' namespace, with the given entries (YAML lines under stringData). */
const TLS_SECRET = (entries: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: api-tls, namespace: istio-system}\ntype: kubernetes.io/tls\nstringData:\n${entries}\n`;
const CERT_ENTRIES = (pem: string) => `  tls.crt: |\n${indent(pem)}\n  tls.key: "(the key is not read)"`;
const base = (from: string, to: string) => { if (!BASE.includes(from)) throw new Error(`BASE lacks ${from}`); return BASE.replace(from, to); };
const withApp = (name: string, o: Parameters<typeof app>[2]) => join(BASE, app('shop', name, o));
const np = (name: string, spec: string, namespace = 'shop') => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${spec}\n`;
const GRANT_WEB_API = ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`);
/** Egress to every namespace on DNS and istiod's port: what a sidecar pod needs. */
const MESH_EGRESS = '{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 15012}]}';
/** api.stripe.com routed from shop's sidecars through the egress gateway (ServiceEntry, Gateway, VirtualService, DestinationRule). */
const EGRESS_ROUTE = (serverTls: string) => [
  istio('ServiceEntry', 'istio-system', 'stripe', '{hosts: [api.stripe.com], exportTo: [".", shop], location: MESH_EXTERNAL, resolution: DNS, ports: [{number: 443, name: tls, protocol: TLS}]}'),
  istio('Gateway', 'istio-system', 'egress', `{selector: {istio: egressgateway}, servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [istio-system/api.stripe.com], tls: {mode: ${serverTls}}}]}`),
  istio('VirtualService', 'istio-system', 'stripe', '{hosts: [api.stripe.com], gateways: [mesh, istio-system/egress], exportTo: [".", shop], tls: [{match: [{gateways: [mesh], port: 443, sniHosts: [api.stripe.com]}], route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: stripe, port: {number: 443}}}]}], tcp: [{match: [{gateways: [istio-system/egress], port: 443}], route: [{destination: {host: api.stripe.com, port: {number: 443}}}]}]}'),
  istio('DestinationRule', 'istio-system', 'egress', `{host: istio-egressgateway.istio-system.svc.cluster.local, exportTo: [".", shop], subsets: [{name: stripe, trafficPolicy: {portLevelSettings: ${serverTls === 'ISTIO_MUTUAL' ? '[]' : '[{port: {number: 443}, tls: {mode: ISTIO_MUTUAL, sni: api.stripe.com}}]'}}}]}`),
];
const SIDECAR_WEB = (spec: string) => istio('Sidecar', 'shop', 'web', `{workloadSelector: {labels: {app: web}}, ${spec}}`);

/** A Gateway API Gateway of class istio in shop, with the given listener. */
const GW_API = (listener: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\nspec: {gatewayClassName: istio, listeners: [${listener}]}\n`;
const HTTP_LISTENER = '{name: http, hostname: api.example.com, port: 80, protocol: HTTP}';
const HTTP_ROUTE = (spec: string, namespace = 'shop') => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: ${namespace}}\nspec: ${spec}\n`;
const REFERENCE_GRANT = (namespace: string, from: string, to: string) => `apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: ${namespace}}\nspec: {from: [${from}], to: [${to}]}\n`;
/** An ambient namespace `amb` (extra namespace labels as flow entries) with api and web. */
const AMBIENT = (labels = '') => join(ns('amb', `istio.io/dataplane-mode: ambient${labels ? `, ${labels}` : ''}`), app('amb', 'api'), app('amb', 'web'));
const USE_WAYPOINT = 'istio.io/use-waypoint: waypoint';
const WAYPOINT = 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: amb, labels: {istio.io/waypoint-for: service}}\nspec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}\n';
const amb = (name: string, spec: string) => istio('AuthorizationPolicy', 'amb', name, spec);

const CASES: readonly Case[] = [
  // ---- input -----------------------------------------------------------------------------
  { code: 'ZT001', trigger: join(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop\n'), clean: [['namespace: shop\n', 'namespace: shop}\n']] },
  { code: 'ZT002', trigger: join(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n'), clean: [['{namespace: shop}', '{name: x, namespace: shop}']] },
  { code: 'ZT003', trigger: join(BASE, ap('allow-nothing', '{}')), clean: [['name: allow-nothing, namespace: shop}\nspec: {}\n', 'name: allow-nothing-2, namespace: shop}\nspec: {}\n']] },
  { code: 'ZT006', trigger: join(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: {a: !custom b}\n'), clean: [['!custom ', '']] },
  { code: 'ZT004', trigger: join(BASE, ap('x', '{}').replace('kind: AuthorizationPolicy', 'kind: AuthorisationPolicy')), clean: [['AuthorisationPolicy', 'AuthorizationPolicy']] },

  // ---- authorization ---------------------------------------------------------------------
  { code: 'ZT101', trigger: join(BASE, ap('x', '{action: DENY}')), clean: [['action: DENY', 'action: ALLOW']] },
  { code: 'ZT101', variant: 'empty source', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {}}]}]}')), clean: [['source: {}', `source: {principals: [${WEB}]}`]] },
  { code: 'ZT102', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], ipBlocks: ["10.0.0.300"]}}]}]}`)), clean: [['10.0.0.300', '10.0.0.3']] },
  { code: 'ZT102', variant: 'service account wildcard', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {serviceAccounts: ["shop/*"]}}]}]}')), clean: [['shop/*', 'shop/web']] },
  { code: 'ZT103', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}], when: [{key: "request.header[x-user]", values: ["a"]}]}]}`)), clean: [['request.header[', 'request.headers[']] },
  { code: 'ZT104', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {methods: ["get"]}}]}]}`)), clean: [['"get"', '"GET"']] },
  { code: 'ZT105', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["spiffe://cluster.local/ns/shop/sa/web"]}}]}]}')), clean: [['spiffe://', '']] },
  { code: 'ZT105', variant: 'malformed', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["shop/web"]}}]}]}')), clean: [['"shop/web"', WEB]] },
  { code: 'ZT106', trigger: join(BASE, RA_API, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], requestPrincipals: ["idp.example.com"]}}]}]}`)), clean: [['["idp.example.com"]', '["idp.example.com/*"]']] },
  { code: 'ZT107', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: db}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/api"]}}], to: [{operation: {methods: ["GET"]}}]}]}')), clean: [['methods: ["GET"]', 'ports: ["3306"]']] },
  { code: 'ZT108', trigger: join(BASE, ap('x', '{action: DENY, selector: {matchLabels: {app: api}}, rules: [{to: [{operation: {paths: ["/admin"]}}]}]}')), clean: [['paths: ["/admin"]', 'paths: ["/admin"], ports: ["8080"]']] },
  { code: 'ZT109', trigger: join(BASE, RA_API.replace('app: api', 'app: web'), ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}]}`)), clean: [['{matchLabels: {app: web}}, jwtRules', '{matchLabels: {app: api}}, jwtRules']] },
  { code: 'ZT110', variant: 'callee DISABLE', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: DISABLE}}'), ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['mode: DISABLE', 'mode: PERMISSIVE']] },
  { code: 'ZT110', variant: 'caller without sidecar', trigger: join(base(app('shop', 'web'), app('shop', 'web', { podLabels: 'sidecar.istio.io/inject: "false"' })), ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['inject: "false"', 'inject: "true"']] },
  { code: 'ZT111', variant: 'ALLOW notPrincipals', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: PERMISSIVE}}'), ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {notPrincipals: [${WEB}]}}]}]}`)), clean: [['mode: PERMISSIVE', 'mode: STRICT']] },
  { code: 'ZT111', variant: 'DENY principals', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: PERMISSIVE}}'), ap('x', `{action: DENY, selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['mode: PERMISSIVE', 'mode: STRICT']] },
  { code: 'ZT112', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {notPaths: ["/admin"]}}]}]}`)), clean: [['notPaths', 'paths']] },
  { code: 'ZT113', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}], to: []}]}`)), clean: [[', to: []', '']] },
  { code: 'ZT114', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], trustDomains: ["cluster.local"]}}]}]}`)), clean: [[', trustDomains: ["cluster.local"]', '']] },
  { code: 'ZT115', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {hosts: ["api.example.com"]}}]}]}`)), clean: [['hosts: ["api.example.com"]', 'paths: ["/api"]']] },
  { code: 'ZT116', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {ports: ["80"]}}]}]}`)), clean: [['["80"]', '["8080"]']] },
  { code: 'ZT117', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`, 'istio.io/dry-run: "true"')), clean: [['"true"', '"false"']] },
  { code: 'ZT118', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`, 'istio.io/dry-run: "yes"')), clean: [['"yes"', '"false"']] },
  { code: 'ZT119', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {namespaces: ["shopp"]}}]}]}')), clean: [['"shopp"', '"shop"']] },
  { code: 'ZT119', variant: 'a prefix pattern no namespace fits', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {namespaces: ["prod-*"]}}]}]}')), clean: [['"prod-*"', '"sh*"']] },
  { code: 'ZT120', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/wbe"]}}]}]}')), clean: [['sa/wbe', 'sa/web']] },
  // Istio creates a waypoint's ServiceAccount, named like its Gateway (ISTIO.md §9.5): declared by the Gateway.
  { code: 'ZT120', variant: 'a waypoint\'s identity, with no waypoint of that name', trigger: join(BASE, 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypnt, namespace: shop}\nspec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}\n', ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/waypoint"]}}]}]}')), clean: [['name: waypnt', 'name: waypoint']] },
  { code: 'ZT120', variant: 'foreign trust domain', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["example.org/ns/shop/sa/web"]}}]}]}')), clean: [['example.org/', 'cluster.local/']] },
  { code: 'ZT121', trigger: join(BASE, app('shop', 'worker', { serviceAccount: 'web', service: false }).replace(/^apiVersion: v1\nkind: ServiceAccount[^]*?---\n/, ''), ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['serviceAccountName: web, containers: [{name: app, image: "example/worker', 'serviceAccountName: worker, containers: [{name: app, image: "example/worker']] },
  { code: 'ZT122', trigger: base('{} # allow-nothing', '{selector: {matchLabels: {app: none}}} # allow-nothing'), clean: [['{selector: {matchLabels: {app: none}}} # allow-nothing', '{} # allow-nothing']] },
  { code: 'ZT123', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), istio('AuthorizationPolicy', 'istio-system', 'allow-nothing', '{}'), istio('AuthorizationPolicy', 'istio-system', 'ingress', '{selector: {matchLabels: {istio: egressgateway}}, rules: [{to: [{operation: {paths: ["/*"]}}]}]}')), clean: [['istio: egressgateway', 'istio: ingressgateway']] },
  { code: 'ZT124', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: PERMISSIVE}}'), ap('x', '{selector: {matchLabels: {app: api}}, rules: [{to: [{operation: {paths: ["/public"]}}]}]}')), clean: [['mode: PERMISSIVE', 'mode: STRICT']] },

  // ---- mTLS ---------------------------------------------------------------------------------
  { code: 'ZT201', trigger: base('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: PERMISSIVE}} # mesh'), clean: [['PERMISSIVE}} # mesh', 'STRICT}} # mesh']] },
  { code: 'ZT201', variant: 'port level', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, portLevelMtls: {"8080": {mode: DISABLE}}}')), clean: [['mode: DISABLE', 'mode: STRICT']] },
  // DISABLE and PERMISSIVE at every level (mesh, namespace, workload, port): each alone fires.
  { code: 'ZT201', variant: 'mesh DISABLE', trigger: base('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: DISABLE}} # mesh'), clean: [['DISABLE}} # mesh', 'STRICT}} # mesh']] },
  { code: 'ZT201', variant: 'namespace PERMISSIVE', trigger: join(BASE, pa('default', '{mtls: {mode: PERMISSIVE}}')), clean: [['mode: PERMISSIVE', 'mode: STRICT']] },
  { code: 'ZT201', variant: 'namespace DISABLE', trigger: join(BASE, pa('default', '{mtls: {mode: DISABLE}}')), clean: [['mode: DISABLE', 'mode: STRICT']] },
  { code: 'ZT201', variant: 'workload PERMISSIVE', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: PERMISSIVE}}')), clean: [['mode: PERMISSIVE', 'mode: STRICT']] },
  { code: 'ZT201', variant: 'workload DISABLE', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: DISABLE}}')), clean: [['mode: DISABLE', 'mode: STRICT']] },
  { code: 'ZT201', variant: 'port level PERMISSIVE', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, portLevelMtls: {"8080": {mode: PERMISSIVE}}}')), clean: [['mode: PERMISSIVE', 'mode: STRICT']] },
  // A root-namespace policy with a selector is ignored by Istio (ZT203 says so): its mode weakens nothing.
  { code: 'ZT201', variant: 'a selector in the root namespace is ignored', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: DISABLE}}', 'shop')), clean: [['name: api, namespace: shop', 'name: api, namespace: istio-system']] },
  { code: 'ZT202', trigger: base('name: default, namespace: istio-system}', 'name: default, namespace: elsewhere}'), clean: [['namespace: elsewhere}', 'namespace: istio-system}']] },
  { code: 'ZT203', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}}', 'istio-system')), clean: [['name: api, namespace: istio-system', 'name: api, namespace: shop']] },
  { code: 'ZT204', trigger: join(BASE, pa('a', '{mtls: {mode: STRICT}}'), pa('b', '{mtls: {mode: STRICT}}')), clean: [['name: b, namespace: shop}\nspec: {mtls', 'name: b, namespace: shop}\nspec: {selector: {matchLabels: {app: api}}, mtls']] },
  { code: 'ZT205', trigger: join(BASE, pa('ports', '{portLevelMtls: {"8080": {mode: STRICT}}}')), clean: [['{portLevelMtls', '{selector: {matchLabels: {app: api}}, portLevelMtls']] },
  { code: 'ZT206', trigger: join(BASE, pa('api', '{selector: {matchLabels: {app: api}}, portLevelMtls: {"80": {mode: STRICT}}}')), clean: [['"80"', '"8080"']] },
  { code: 'ZT207', trigger: join(BASE, pa('default', '{mtls: {mode: DISABLE}}'), pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}}')), clean: [['{app: api}}, mtls: {mode: STRICT}', '{app: api}}, mtls: {mode: PERMISSIVE}']] },
  { code: 'ZT251', trigger: join(base(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' })), istio('DestinationRule', 'shop', 'db', '{host: db.shop.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}')), clean: [['inject: "false"', 'inject: "true"']] },
  { code: 'ZT252', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, trafficPolicy: {tls: {mode: DISABLE}}}')), clean: [['mode: DISABLE', 'mode: ISTIO_MUTUAL']] },
  // Only pods without a sidecar draw ZT251, and only an ISTIO_MUTUAL block: not a DISABLE one (mutation testing).
  { code: 'ZT251', variant: 'another tls mode', trigger: join(base(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' })), istio('DestinationRule', 'shop', 'db', '{host: db.shop.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}')), clean: [['mode: ISTIO_MUTUAL', 'mode: DISABLE']] },
  // ZT252 needs a STRICT workload behind the host: a PERMISSIVE one accepts the plaintext.
  { code: 'ZT252', variant: 'toward a PERMISSIVE workload', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, trafficPolicy: {tls: {mode: DISABLE}}}'), pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}}')), clean: [['{app: api}}, mtls: {mode: STRICT}', '{app: api}}, mtls: {mode: PERMISSIVE}']] },
  { code: 'ZT253', trigger: join(BASE, istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'), istio('DestinationRule', 'shop', 'bank', '{host: api.bank.example, trafficPolicy: {tls: {mode: SIMPLE}}}')), clean: [['{mode: SIMPLE}', '{mode: SIMPLE, caCertificates: /etc/ca/bank.pem, subjectAltNames: [api.bank.example]}']] },
  { code: 'ZT254', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: apii.shop.svc.cluster.local, subsets: [{name: v1, labels: {app: api}}]}')), clean: [['apii.', 'api.']] },
  // Locality keys are added to endpoints by Istio, so only the other keys must match the pods.
  { code: 'ZT255', variant: 'locality labels beside pod labels', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, subsets: [{name: eu, labels: {app: apii, topology.kubernetes.io/region: eu-west-1}}]}'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api, subset: eu}}]}]}')), clean: [['app: apii', 'app: api']] },
  { code: 'ZT255', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, subsets: [{name: v1, labels: {version: v1}}]}'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api.shop.svc.cluster.local, subset: v1}}]}]}')), clean: [['{version: v1}', '{app: api}']] },
  // Istio adds a locality label to an endpoint only when the node has a value: an empty one never matches.
  { code: 'ZT255', variant: 'empty locality value', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, subsets: [{name: eu, labels: {app: api, topology.kubernetes.io/region: ""}}]}'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api, subset: eu}}]}]}')), clean: [['topology.kubernetes.io/region: ""', 'topology.kubernetes.io/region: eu-west-1']] },
  // A subset no route uses yet is only a warning (Istio's IST0173): Bookinfo names versions it does not run.
  { code: 'ZT256', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, subsets: [{name: v2, labels: {version: v2}}]}')), clean: [['{version: v2}', '{app: api}']] },

  // ---- JWT ----------------------------------------------------------------------------------
  { code: 'ZT301', trigger: join(BASE, RA_API, ap('api', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [[`principals: [${WEB}]}`, `principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}`]] },
  // A workload that only an allow-nothing policy governs admits no request at all, tokenless or not.
  { code: 'ZT301', variant: 'no ALLOW policy at all', trigger: join(BASE.replace('{} # allow-nothing', '{selector: {matchLabels: {app: web}}} # allow-nothing'), RA_API), clean: [['{selector: {matchLabels: {app: web}}} # allow-nothing', '{} # allow-nothing']] },
  { code: 'ZT302', trigger: join(BASE, RA_API, ap('api', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}, {from: [{source: {principals: ["cluster.local/ns/shop/sa/db"]}}]}]}`)), clean: [['sa/db"]}', `sa/db"], requestPrincipals: ["${IDP}/*"]}`]] },
  { code: 'ZT303', trigger: join(BASE, RA_API.replace(`"${IDP}/keys"`, '"idp.example.com/keys"')), clean: [['"idp.example.com/keys"', `"${IDP}/keys"`]] },
  { code: 'ZT304', trigger: join(BASE, RA_API, ap('api', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}]}`)).split(IDP).join('testing@secure.istio.io').replace('jwksUri: "testing@secure.istio.io/keys"', `jwksUri: "${IDP}/keys"`), clean: [['testing@secure.istio.io', IDP]] },
  { code: 'ZT305', trigger: join(BASE, ra('api', `{selector: {matchLabels: {app: api}}, jwtRules: [{issuer: "testing@secure.istio.io", jwksUri: "${IDP}/keys", audiences: [shop]}]}`)), clean: [[', audiences: [shop]', '']] },
  { code: 'ZT306', trigger: join(BASE, RA_API.replace(`"${IDP}/keys"`, '"http://idp.example.com/keys"')), clean: [['"http://', '"https://']] },
  { code: 'ZT307', trigger: join(BASE, RA_API.replace('jwksUri:', 'presence: REQUIRED, jwksUri:')), clean: [['presence: REQUIRED, ', '']] },
  { code: 'ZT308', trigger: join(BASE, RA_API.replace(`issuer: "${IDP}"`, `issuer: "${IDP}/"`), ap('api', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}]}`)), clean: [[`["${IDP}/*"]`, `["${IDP}//*"]`]] },
  { code: 'ZT309', trigger: join(BASE, RA_API, ra('web', `{selector: {matchLabels: {app: web}}, jwtRules: [{issuer: "${IDP}", forwardOriginalToken: false}]}`), ap('api', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: [${WEB}], requestPrincipals: ["${IDP}/*"]}}]}]}`)), clean: [['forwardOriginalToken: false', 'forwardOriginalToken: true']] },
  { code: 'ZT310', trigger: join(BASE, ra('api', `{selector: {matchLabels: {app: api}}, jwtRules: [{issuer: "${IDP}", jwks: '{"keys":[{"kty":"RSA","n":"abc","e":"AQAB","d":"secret"}]}'}]}`)), clean: [[',"d":"secret"', '']] },

  // ---- ingress ------------------------------------------------------------------------------
  { code: 'ZT401', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), GATEWAY_POD.replace('istio: ingressgateway', 'istio: egressgateway')), clean: [['istio: egressgateway', 'istio: ingressgateway']] },
  { code: 'ZT402', trigger: join(BASE, GATEWAY('[{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["shop/api.example.com"]}]')), clean: [['hosts: ["shop/api.example.com"]}', 'hosts: ["shop/api.example.com"], tls: {mode: SIMPLE, credentialName: api-tls}}']] },
  { code: 'ZT403', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER.replace('"shop/api.example.com"', '"*"')}]`)), clean: [['hosts: ["*"]', 'hosts: ["shop/api.example.com"]']] },
  { code: 'ZT404', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}, {port: {number: 80, name: http, protocol: HTTP}, hosts: ["shop/api.example.com"]}]`)), clean: [['"shop/api.example.com"]}]', '"shop/api.example.com"], tls: {httpsRedirect: true}}]']] },
  { code: 'ZT405', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), GATEWAY_POD, 'apiVersion: v1\nkind: Secret\nmetadata: {name: api-tls, namespace: shop}\ntype: kubernetes.io/tls\n'), clean: [['{name: api-tls, namespace: shop}', '{name: api-tls, namespace: istio-system}']] },
  { code: 'ZT405', variant: 'no such Secret where the pods run', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), GATEWAY_POD, 'apiVersion: v1\nkind: Secret\nmetadata: {name: other-tls, namespace: istio-system}\ntype: kubernetes.io/tls\n'), clean: [['{name: other-tls, namespace: istio-system}', '{name: api-tls, namespace: istio-system}']] },
  { code: 'ZT406', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), GATEWAY(`[${HTTPS_SERVER}]`, 'gw2')), clean: [['name: gw2, namespace: shop}\nspec: {selector: {istio: ingressgateway}', 'name: gw2, namespace: shop}\nspec: {selector: {istio: internalgateway}']] },
  { code: 'ZT406', variant: 'different selectors, the same pods', trigger: join(BASE, GATEWAY_POD, GATEWAY(`[${HTTPS_SERVER}]`), GATEWAY(`[${HTTPS_SERVER}]`, 'gw2').replace('name: gw2, namespace: shop}\nspec: {selector: {istio: ingressgateway}', 'name: gw2, namespace: shop}\nspec: {selector: {istio: ingressgateway, app: ingressgateway}')), clean: [['{istio: ingressgateway, app: ingressgateway}', '{istio: ingressgateway, app: other}']] },
  { code: 'ZT407', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), GATEWAY(`[${HTTPS_SERVER.replace('api.example.com', 'www.example.com')}]`, 'gw2')), clean: [['"shop/www.example.com"], tls: {mode: SIMPLE, credentialName: api-tls}', '"shop/www.example.com"], tls: {mode: SIMPLE, credentialName: www-tls}']] },
  { code: 'ZT408', trigger: join(BASE, GATEWAY_POD, GATEWAY(`[${HTTPS_SERVER}]`), TLS_SECRET(CERT_ENTRIES(EXPIRED_CERT))), clean: [[indent(EXPIRED_CERT), indent(VALID_CERT)]] },
  { code: 'ZT408', variant: 'entries under other names', trigger: join(BASE, GATEWAY_POD, GATEWAY(`[${HTTPS_SERVER}]`), TLS_SECRET(CERT_ENTRIES(VALID_CERT).replace('tls.crt', 'certificate.pem'))), clean: [['certificate.pem', 'tls.crt']] },
  { code: 'ZT409', trigger: join(BASE, app('istio-system', 'ingressgateway', { podLabels: 'istio: ingressgateway', port: 8443, portName: 'https' }), GATEWAY(`[${HTTPS_SERVER}]`)), clean: [['port: {number: 443, name: https, protocol: HTTPS}', 'port: {number: 8443, name: https, protocol: HTTPS}']] },
  { code: 'ZT410', trigger: join(BASE, VS(`{hosts: [api.example.com], gateways: ["shop/web~istio-autogenerated-k8s-gateway~http"], ${ROUTE_API}}`)), clean: [['shop/web~istio-autogenerated-k8s-gateway~http', 'mesh']] },
  { code: 'ZT411', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), VS(`{hosts: [api.example.com], gateways: [shop/gateway], ${ROUTE_API}}`)), clean: [['shop/gateway', 'shop/gw']] },
  { code: 'ZT412', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), VS(`{hosts: [www.example.com], gateways: [shop/gw], ${ROUTE_API}}`)), clean: [['[www.example.com]', '[api.example.com]']] },
  { code: 'ZT412', variant: 'Gateway API listener hostnames', trigger: join(BASE, 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\nspec: {gatewayClassName: istio, listeners: [{name: http, hostname: api.example.com, port: 80, protocol: HTTP}]}\n', VS(`{hosts: [www.example.com], gateways: [shop/gw], ${ROUTE_API}}`)), clean: [['[www.example.com]', '[api.example.com]']] },
  { code: 'ZT413', trigger: join(BASE, ns('edge'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api, port: {number: 80}}}]}]}', 'edge')), clean: [['host: api,', 'host: api.shop.svc.cluster.local,']] },
  // A ServiceEntry exported only to its own namespace does not resolve in another one.
  { code: 'ZT413', variant: 'ServiceEntry not exported here', trigger: join(BASE, ns('egress'), istio('ServiceEntry', 'egress', 'bank', '{hosts: [api.bank.example], exportTo: ["."], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api.bank.example}}]}]}')), clean: [['exportTo: ["."]', 'exportTo: ["*"]']] },
  { code: 'ZT413', variant: 'exported where the host is hidden', trigger: join(BASE, ns('edge'), 'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop, annotations: {networking.istio.io/exportTo: "."}}\nspec: {selector: {app: api}, ports: [{name: http, port: 80, targetPort: 8080}]}\n', VS(`{hosts: [api.shop.svc.cluster.local], exportTo: [".", edge], ${ROUTE_API}}`)).replace('apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {selector: {app: api}, ports: [{name: http, port: 80, targetPort: 8080}]}\n---\n', ''), clean: [['networking.istio.io/exportTo: "."', 'networking.istio.io/exportTo: ".,edge"']] },
  { code: 'ZT414', trigger: join(BASE, VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 8080}}}]}]}')), clean: [['number: 8080', 'number: 80']] },
  // An external host (no Service in the input): the short name and the full name are one host.
  { code: 'ZT415', variant: 'short and full names of one host', trigger: join(BASE, istio('DestinationRule', 'shop', 'ext', '{host: ext.shop.svc.cluster.local, subsets: [{name: v1, labels: {app: ext}}]}'), VS('{hosts: [ext], http: [{route: [{destination: {host: ext, subset: v2}}]}]}')), clean: [['subset: v2', 'subset: v1']] },
  { code: 'ZT415', trigger: join(BASE, istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, subsets: [{name: v1, labels: {app: api}}]}'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api.shop.svc.cluster.local, subset: v2, port: {number: 80}}}]}]}')), clean: [['subset: v2', 'subset: v1']] },
  { code: 'ZT416', trigger: join(BASE, VS(`{hosts: ["*"], ${ROUTE_API}}`)), clean: [['hosts: ["*"]', 'hosts: [api.shop.svc.cluster.local]']] },
  // No hosts makes a delegate: valid, unless it names gateways (or routes TCP/TLS).
  { code: 'ZT416', variant: 'delegate with gateways', trigger: join(BASE, VS(`{gateways: [shop/gw], ${ROUTE_API}}`)), clean: [['gateways: [shop/gw], ', '']] },
  { code: 'ZT417', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), istio('RequestAuthentication', 'istio-system', 'ingress', `{selector: {matchLabels: {istio: egressgateway}}, jwtRules: [{issuer: "${IDP}"}]}`), VS('{hosts: [api.example.com], gateways: [shop/gw], http: [{match: [{headers: {"@request.auth.claims.group": {exact: admin}}}], route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 80}}}]}]}')), clean: [['istio: egressgateway', 'istio: ingressgateway']] },
  { code: 'ZT418', trigger: join(BASE, VS(`{hosts: [api], ${ROUTE_API}}`), istio('VirtualService', 'shop', 'more-routes', `{hosts: [api.shop.svc.cluster.local], ${ROUTE_API}}`)), clean: [['name: more-routes, namespace: shop}\nspec: {hosts: [api.shop.svc.cluster.local]', 'name: more-routes, namespace: shop}\nspec: {hosts: [web.shop.svc.cluster.local]']] },
  { code: 'ZT418', variant: 'each exported to its own namespace only', trigger: join(BASE, ns('other'), VS(`{hosts: [api.shop.svc.cluster.local], ${ROUTE_API}}`), istio('VirtualService', 'other', 'routes', `{hosts: [api.shop.svc.cluster.local], exportTo: [other], ${ROUTE_API}}`)), clean: [['{hosts: [api.shop.svc.cluster.local], http', '{hosts: [api.shop.svc.cluster.local], exportTo: ["."], http']] },
  { code: 'ZT419', trigger: join(BASE, VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api}}]}, {match: [{uri: {prefix: /admin}}], route: [{destination: {host: web}}]}]}')), clean: [['http: [{route: [{destination: {host: api}}]}, {match: [{uri: {prefix: /admin}}], route: [{destination: {host: web}}]}]', 'http: [{match: [{uri: {prefix: /admin}}], route: [{destination: {host: web}}]}, {route: [{destination: {host: api}}]}]']] },
  { code: 'ZT419', variant: 'prefix covered by an earlier one', trigger: join(BASE, VS('{hosts: [api.shop.svc.cluster.local], http: [{match: [{uri: {prefix: /api}}], route: [{destination: {host: api}}]}, {match: [{uri: {prefix: /api/v2}}], route: [{destination: {host: web}}]}]}')), clean: [['prefix: /api}', 'prefix: /api/v1}']] },
  { code: 'ZT419', variant: 'covered within one rule by a match with fewer conditions', trigger: join(BASE, VS('{hosts: [api.shop.svc.cluster.local], http: [{match: [{uri: {prefix: /api}}, {uri: {prefix: /api/v2}, method: {exact: GET}}], route: [{destination: {host: api}}]}]}')), clean: [['{uri: {prefix: /api}}', '{uri: {prefix: /api}, method: {exact: POST}}']] },
  { code: 'ZT420', trigger: join(BASE, GATEWAY(`[${HTTPS_SERVER}]`), istio('DestinationRule', 'shop', 'api', '{host: api.shop.svc.cluster.local, subsets: [{name: v1, labels: {app: api}}]}'), VS('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api, subset: v1}}]}]}'), istio('VirtualService', 'shop', 'edge', `{hosts: [api.example.com], gateways: [shop/gw], ${ROUTE_API}}`)), clean: [['{host: api.shop.svc.cluster.local, port: {number: 80}}', '{host: api.shop.svc.cluster.local, port: {number: 80}, subset: v1}']] },

  // ---- Gateway API ingress ---------------------------------------------------------------------
  { code: 'ZT430', trigger: join(BASE, GW_API(HTTP_LISTENER), HTTP_ROUTE('{parentRefs: [{name: edgex}], hostnames: [api.example.com], rules: [{backendRefs: [{name: api, port: 80}]}]}')), clean: [['name: edgex', 'name: edge']] },
  { code: 'ZT430', variant: 'no listener of that sectionName', trigger: join(BASE, GW_API(HTTP_LISTENER), HTTP_ROUTE('{parentRefs: [{name: edge, sectionName: https}], rules: [{backendRefs: [{name: api, port: 80}]}]}')), clean: [['sectionName: https', 'sectionName: http']] },
  { code: 'ZT431', trigger: join(BASE, ns('front'), GW_API(HTTP_LISTENER), HTTP_ROUTE('{parentRefs: [{name: edge, namespace: shop}], rules: [{backendRefs: [{name: api, namespace: shop, port: 80}]}]}', 'front'), REFERENCE_GRANT('shop', '{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: front}', '{group: "", kind: Service}')), clean: [['protocol: HTTP}', 'protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}']] },
  { code: 'ZT432', trigger: join(BASE, GW_API(HTTP_LISTENER), HTTP_ROUTE('{parentRefs: [{name: edge}], hostnames: [www.example.com], rules: [{backendRefs: [{name: api, port: 80}]}]}')), clean: [['[www.example.com]', '["*.example.com"]']] },
  { code: 'ZT433', trigger: join(BASE, GW_API(HTTP_LISTENER), HTTP_ROUTE('{parentRefs: [{name: edge}], rules: [{backendRefs: [{name: api}]}]}')), clean: [['{name: api}', '{name: api, port: 80}']] },
  { code: 'ZT433', variant: 'another namespace without a ReferenceGrant', trigger: join(BASE, ns('back'), app('back', 'store'), GW_API(HTTP_LISTENER), HTTP_ROUTE('{parentRefs: [{name: edge}], rules: [{backendRefs: [{name: store, namespace: back, port: 80}]}]}'), REFERENCE_GRANT('back', '{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: nowhere}', '{group: "", kind: Service, name: store}')), clean: [['namespace: nowhere', 'namespace: shop']] },
  { code: 'ZT434', trigger: join(BASE, ns('certs'), GW_API('{name: https, hostname: api.example.com, port: 443, protocol: HTTPS, tls: {mode: Terminate, certificateRefs: [{name: api-tls, namespace: certs}]}}')), clean: [['{name: api-tls, namespace: certs}', '{name: api-tls}']] },
  { code: 'ZT435', trigger: join(BASE, GW_API(HTTP_LISTENER), ap('from-edge', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/edge"]}}]}]}')), clean: [['sa/edge"', 'sa/edge-istio"']] },
  { code: 'ZT436', trigger: join(BASE, GW_API(HTTP_LISTENER), ap('at-edge', '{targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: edge}], rules: [{to: [{operation: {ports: ["8080"]}}]}]}')), clean: [['"8080"', '"80"']] },

  // ---- ports, injection, workloads, Sidecar -------------------------------------------------
  { code: 'ZT501', trigger: withApp('cart', { servicePortName: 'web' }), clean: [['{name: web, port: 80', '{name: http-web, port: 80']] },
  { code: 'ZT502', trigger: withApp('cart', {}).replace('{name: http, port: 80, targetPort: 8080}]}\n', '{name: web, appProtocol: htttp, port: 80, targetPort: 8080}]}\n'), clean: [['appProtocol: htttp', 'appProtocol: http']] },
  { code: 'ZT503', trigger: withApp('cart', {}).replace(/targetPort: 8080}]}\n$/, 'targetPort: 9090}]}\n'), clean: [['targetPort: 9090', 'targetPort: 8080']] },
  { code: 'ZT504', trigger: join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: api-raw, namespace: shop}\nspec: {selector: {app: api}, ports: [{name: tcp-raw, port: 9000, targetPort: 8080}]}\n'), clean: [['name: tcp-raw', 'name: http-raw']] },
  // A workload outside the mesh has no proxy to disagree about the protocol.
  { code: 'ZT504', variant: 'only for workloads in the mesh', trigger: join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: api-raw, namespace: shop}\nspec: {selector: {app: api}, ports: [{name: tcp-raw, port: 9000, targetPort: 8080}]}\n'), clean: [['    metadata: {labels: {app: api}}', '    metadata: {labels: {app: api, sidecar.istio.io/inject: "false"}}']] },
  { code: 'ZT505', trigger: join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: elsewhere, namespace: shop}\nspec: {selector: {app: elsewhere}, ports: [{name: web, port: 80}]}\n'), clean: [['name: web, port: 80', 'name: http-web, port: 80']] },
  { code: 'ZT506', trigger: join(BASE, 'apiVersion: v1\nkind: Service\nmetadata: {name: bank, namespace: shop}\nspec: {type: ExternalName, externalName: api.bank.example, ports: [{name: tcp, port: 443}]}\n'), clean: [['name: tcp, port: 443', 'name: tls-bank, port: 443']] },
  { code: 'ZT507', trigger: join(BASE, istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'), istio('ServiceEntry', 'shop', 'bank-http', '{hosts: [api.bank.example], ports: [{number: 443, name: http, protocol: HTTP}], resolution: DNS}')), clean: [['{number: 443, name: http, protocol: HTTP}', '{number: 443, name: tls-2, protocol: TLS}']] },
  { code: 'ZT507', variant: 'exported to different namespaces', trigger: join(BASE, ns('egress'), istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], exportTo: ["."], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'), istio('ServiceEntry', 'egress', 'bank-http', '{hosts: [api.bank.example], exportTo: ["*"], ports: [{number: 443, name: http, protocol: HTTP}], resolution: DNS}')), clean: [['exportTo: ["*"]', 'exportTo: ["."]']] },
  { code: 'ZT508', trigger: join(BASE, istio('ServiceEntry', 'shop', 'ledger', '{hosts: [ledger.bank.example], ports: [{number: 5432, name: tcp-postgres, protocol: TCP}], resolution: DNS}')), clean: [['{hosts: [ledger.bank.example],', '{hosts: [ledger.bank.example], addresses: [10.20.0.5],']] },
  { code: 'ZT508', variant: 'no protocol is TCP', trigger: join(BASE, istio('ServiceEntry', 'shop', 'ledger', '{hosts: [ledger.bank.example], ports: [{number: 5432, name: postgres}], resolution: DNS}')), clean: [['{number: 5432, name: postgres}', '{number: 5432, name: postgres, protocol: TLS}']] },
  { code: 'ZT601', trigger: join(BASE, ns('legacy', 'team: billing'), app('legacy', 'ledger')), clean: [['{team: billing}', '{team: billing, istio-injection: enabled}']] },
  // An ambient namespace is in the mesh without sidecars: not reported.
  { code: 'ZT601', variant: 'ambient is in the mesh', trigger: join(ns('plain', 'team: x'), app('plain', 'api')), clean: [['labels: {team: x}', 'labels: {istio.io/dataplane-mode: ambient}']] },
  { code: 'ZT601', variant: 'a declared namespace with no workload yet', trigger: join(BASE, ns('reports', 'team: x')), clean: [['labels: {team: x}', 'labels: {istio-injection: disabled}']] },
  { code: 'ZT110', variant: 'an ambient caller has its identity', trigger: join(base(app('shop', 'web'), ''), ns('amb', 'team: x'), app('amb', 'web'), ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/amb/sa/web"]}}]}]}')), clean: [['metadata: {name: amb, labels: {team: x}}', 'metadata: {name: amb, labels: {istio.io/dataplane-mode: ambient}}']] },
  { code: 'ZT602', trigger: base('labels: {istio-injection: enabled}', 'labels: {istio-injection: enabled, istio.io/rev: canary}'), clean: [[', istio.io/rev: canary', '']] },
  // istio-injection=disabled beside a revision is a deliberate opt-out, not a conflict.
  { code: 'ZT602', variant: 'a revision beside an opt-out', trigger: base('labels: {istio-injection: enabled}', 'labels: {istio-injection: enabled, istio.io/rev: canary}'), clean: [['{istio-injection: enabled, istio.io/rev: canary}', '{istio-injection: disabled, istio.io/rev: canary}']] },
  { code: 'ZT603', trigger: withApp('cart', { podLabels: 'sidecar.istio.io/inject: "false"' }), clean: [['inject: "false"', 'inject: "true"']] },
  { code: 'ZT604', trigger: withApp('cart', { podAnnotations: 'sidecar.istio.io/inject: "true"' }), clean: [['annotations: {sidecar.istio.io/inject', 'annotations: {example.com/inject']] },
  { code: 'ZT605', trigger: withApp('cart', { runAsUser: 1337 }), clean: [['runAsUser: 1337', 'runAsUser: 1000']] },
  { code: 'ZT606', trigger: join(BASE, ap('x', `{selector: {matchLabels: {app: apii}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['app: apii', 'app: api']] },
  { code: 'ZT606', variant: 'Telemetry', trigger: join(BASE, istio('Telemetry', 'shop', 'logs', '{selector: {matchLabels: {app: apii}}, accessLogging: [{providers: [{name: envoy}]}]}')), clean: [['app: apii', 'app: api']] },
  { code: 'ZT607', trigger: join(withApp('cart', { podLabels: 'sidecar.istio.io/inject: "false"' }), ap('x', `{selector: {matchLabels: {app: cart}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['inject: "false"', 'inject: "true"']] },
  { code: 'ZT607', variant: 'Sidecar in an ambient namespace', trigger: join(ns('amb', 'istio.io/dataplane-mode: ambient'), app('amb', 'api'), istio('Sidecar', 'amb', 'default', '{egress: [{hosts: ["./*"]}]}')), clean: [['labels: {istio.io/dataplane-mode: ambient}', 'labels: {istio-injection: enabled}']] },
  { code: 'ZT607', variant: 'Sidecar selecting ambient pods', trigger: join(ns('amb', 'istio.io/dataplane-mode: ambient'), app('amb', 'api'), istio('Sidecar', 'amb', 'api', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}')), clean: [['labels: {istio.io/dataplane-mode: ambient}', 'labels: {istio-injection: enabled}']] },
  { code: 'ZT608', trigger: withApp('cart', { serviceAccount: null }), clean: [['spec: {containers: [{name: app, image: "example/cart', 'spec: {serviceAccountName: cart, containers: [{name: app, image: "example/cart']] },
  { code: 'ZT609', trigger: join(BASE.replace('metadata: {name: shop, labels: {istio-injection: enabled}}', 'metadata: {name: shop, labels: {istio-injection: enabled, istio.io/dataplane-mode: ambient}}')), clean: [['istio.io/dataplane-mode: ambient', 'team: shop']] },
  { code: 'ZT701', trigger: join(BASE, istio('Sidecar', 'shop', 'a', '{egress: [{hosts: ["./*"]}]}'), istio('Sidecar', 'shop', 'b', '{egress: [{hosts: ["./*", "istio-system/*"]}]}')), clean: [['{egress: [{hosts: ["./*", "istio-system/*"]}]}', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*", "istio-system/*"]}]}']] },
  { code: 'ZT702', trigger: join(BASE, istio('Sidecar', 'istio-system', 'api', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}')), clean: [['name: api, namespace: istio-system', 'name: api, namespace: shop']] },
  { code: 'ZT703', trigger: join(BASE, istio('Sidecar', 'shop', 'api', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}'), istio('Sidecar', 'shop', 'api-too', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}')), clean: [['name: api-too, namespace: shop}\nspec: {workloadSelector: {labels: {app: api}}', 'name: api-too, namespace: shop}\nspec: {workloadSelector: {labels: {app: web}}']] },
  { code: 'ZT801', trigger: join(BASE, istio('Telemetry', 'shop', 'logs', '{accessLogging: [{providers: [{name: envoy}]}]}'), istio('Telemetry', 'shop', 'traces', '{tracing: [{randomSamplingPercentage: 10}]}')), clean: [['name: traces, namespace: shop}\nspec: {tracing', 'name: traces, namespace: shop}\nspec: {selector: {matchLabels: {app: api}}, tracing']] },
  { code: 'ZT802', trigger: join(BASE, istio('Telemetry', 'shop', 'logs', '{selector: {matchLabels: {app: api}}, accessLogging: [{providers: [{name: envoy}]}]}'), istio('Telemetry', 'shop', 'traces', '{selector: {matchLabels: {app: api}}, tracing: [{randomSamplingPercentage: 10}]}')), clean: [['name: traces, namespace: shop}\nspec: {selector: {matchLabels: {app: api}}', 'name: traces, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}']] },
  { code: 'ZT901', trigger: withApp('cart', { podAnnotations: 'sidecar.istio.io/proxyCpu: 100m' }), clean: [['proxyCpu', 'proxyCPU']] },
  { code: 'ZT902', trigger: base('metadata: {name: api, namespace: shop}\nspec:\n  selector', 'metadata: {name: api, namespace: shop, annotations: {sidecar.istio.io/proxyCPU: 100m}}\nspec:\n  selector'), clean: [['annotations: {sidecar.istio.io/proxyCPU: 100m}', 'annotations: {example.com/proxyCPU: 100m}']] },
  { code: 'ZT903', trigger: withApp('cart', { podAnnotations: 'readiness.status.sidecar.istio.io/periodSeconds: ten' }), clean: [['periodSeconds: ten', 'periodSeconds: "10"']] },
  { code: 'ZT903', variant: 'port list', trigger: withApp('cart', { podAnnotations: 'traffic.sidecar.istio.io/excludeOutboundPorts: "5432;6379"' }), clean: [['"5432;6379"', '"5432,6379"']] },
  { code: 'ZT904', trigger: withApp('cart', { podAnnotations: 'sidecar.istio.io/statsInclusionPrefixes: cluster.outbound' }), clean: [['sidecar.istio.io/statsInclusionPrefixes', 'example.com/statsInclusionPrefixes']] },
  // ---- egress scope and NetworkPolicy (ZT75x) ------------------------------------------------
  { code: 'ZT751', trigger: join(BASE, np('api-egress', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}]}]}')), clean: [['[{protocol: UDP, port: 53}]', '[{protocol: UDP, port: 53}, {protocol: TCP, port: 15012}]']] },
  { code: 'ZT751', variant: 'no DNS', trigger: join(BASE, np('api-egress', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: TCP, port: 15012}]}]}')), clean: [['[{protocol: TCP, port: 15012}]', '[{protocol: TCP, port: 15012}, {protocol: UDP, port: 53}]']] },
  // Egress rules without policyTypes isolate egress too; matchExpressions on the automatic namespace name label.
  { code: 'ZT751', variant: 'defaulted policyTypes, matchExpressions', trigger: join(BASE, np('egress', '{podSelector: {}, egress: [{to: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [kube-system, shop]}]}}]}]}')), clean: [['values: [kube-system, shop]', 'values: [kube-system, istio-system]']] },
  { code: 'ZT752', trigger: join(BASE, GRANT_WEB_API, np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: gateway}}}]}]}')), clean: [['{app: gateway}', '{app: web}']] },
  { code: 'ZT752', variant: 'named port', trigger: join(BASE, GRANT_WEB_API, np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: metrics}]}]}')), clean: [['port: metrics', 'port: http']] },
  { code: 'ZT752', variant: 'port range', trigger: join(BASE, GRANT_WEB_API, np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}], ports: [{port: 9000, endPort: 9100}]}]}')), clean: [['port: 9000, endPort: 9100', 'port: 8000, endPort: 8100']] },
  { code: 'ZT752', variant: 'caller egress', trigger: join(BASE, GRANT_WEB_API, np('web-egress', `{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}, ${MESH_EGRESS}]}`)), clean: [['{app: db}', '{app: api}']] },
  // A caller without a sidecar never presents the principal (ZT110 reports that): not judged here.
  { code: 'ZT752', variant: 'only callers with a sidecar', trigger: join(base(app('shop', 'web'), app('shop', 'web', { podLabels: 'sidecar.istio.io/inject: "true"' })), GRANT_WEB_API, np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: gateway}}}]}]}')), clean: [['inject: "true"', 'inject: "false"']] },
  { code: 'ZT753', trigger: join(BASE, GRANT_WEB_API, SIDECAR_WEB('egress: [{hosts: ["./db.shop.svc.cluster.local", "istio-system/*"]}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}')), clean: [['"./db.shop.svc.cluster.local"', '"./*.shop.svc.cluster.local"']] },
  { code: 'ZT753', variant: 'ALLOW_ANY passthrough', trigger: join(BASE, GRANT_WEB_API, SIDECAR_WEB('egress: [{hosts: ["~/*"]}], outboundTrafficPolicy: {mode: ALLOW_ANY}')), clean: [['"~/*"', '"shop/*"']] },
  { code: 'ZT753', variant: 'root-namespace Sidecar', trigger: join(BASE, ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {namespaces: ["shop"]}}]}]}'), istio('Sidecar', 'istio-system', 'default', '{egress: [{hosts: ["istio-system/*"]}]}')), clean: [['"istio-system/*"', '"*/*"']] },
  { code: 'ZT754', trigger: join(BASE, istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}')), clean: [['resolution: DNS}', 'resolution: DNS, exportTo: ["."]}']] },
  { code: 'ZT754', variant: 'exported to "*"', trigger: join(BASE, istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], exportTo: ["*"], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}')), clean: [['exportTo: ["*"]', 'exportTo: [".", edge]']] },
  { code: 'ZT755', trigger: join(BASE, istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: ALLOW_ANY}}')), clean: [['mode: ALLOW_ANY', 'mode: REGISTRY_ONLY']] },
  { code: 'ZT755', variant: 'stated mesh default', options: { outboundTrafficPolicy: 'ALLOW_ANY' }, trigger: join(BASE, istio('Sidecar', 'shop', 'default', '{egress: [{hosts: ["./*"]}]}')), clean: [['{egress: [{hosts: ["./*"]}]}', '{egress: [{hosts: ["./*"]}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}}']] },
  // Another namespace's Sidecar shows the intent to control egress; this namespace falls back to the default.
  { code: 'ZT755', variant: 'unstated default beside REGISTRY_ONLY elsewhere', trigger: join(BASE, ns('edge'), app('edge', 'proxy'), istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}')), clean: [['{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}', '{egress: [{hosts: ["./*"]}]}']] },
  { code: 'ZT756', trigger: join(BASE, istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}'), np('egress', `{podSelector: {matchLabels: {app: none}}, policyTypes: [Egress], egress: [${MESH_EGRESS}]}`)), clean: [['podSelector: {matchLabels: {app: none}}', 'podSelector: {}']] },
  { code: 'ZT756', variant: 'stated mesh default', options: { outboundTrafficPolicy: 'REGISTRY_ONLY' }, trigger: join(BASE, np('egress', `{podSelector: {matchLabels: {app: none}}, policyTypes: [Egress], egress: [${MESH_EGRESS}]}`)), clean: [['podSelector: {matchLabels: {app: none}}', 'podSelector: {}']] },
  // An egress route: shop's sidecars send api.stripe.com to the egress gateway, which forwards it.
  { code: 'ZT757', trigger: join(BASE, ...EGRESS_ROUTE('PASSTHROUGH'), istio('AuthorizationPolicy', 'istio-system', 'egress', `{selector: {matchLabels: {istio: egressgateway}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), clean: [['tls: {mode: PASSTHROUGH}', 'tls: {mode: ISTIO_MUTUAL}']] },
  { code: 'ZT758', trigger: join(BASE, ...EGRESS_ROUTE('ISTIO_MUTUAL')), clean: [['portLevelSettings: []', 'portLevelSettings: [{port: {number: 443}, tls: {mode: ISTIO_MUTUAL, sni: api.stripe.com}}]']] },
  // ---- ambient: ztunnel and waypoints (ZT71x) -------------------------------------------------
  { code: 'ZT711', trigger: join(BASE, AMBIENT(), amb('l7', `{selector: {matchLabels: {app: api}}, rules: [{to: [{operation: {methods: [GET]}}]}]}`)), clean: [['methods: [GET]', 'ports: ["8080"]']] },
  { code: 'ZT712', trigger: join(BASE, AMBIENT(), amb('require-jwt', `{selector: {matchLabels: {app: api}}, action: DENY, rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]}`)), clean: [['notRequestPrincipals', 'notPrincipals']] },
  { code: 'ZT713', trigger: join(BASE, AMBIENT(), amb('no-post', `{selector: {matchLabels: {app: api}}, action: DENY, rules: [{to: [{operation: {ports: ["8080"], methods: [POST]}}]}]}`)), clean: [[', methods: [POST]', '']] },
  { code: 'ZT714', trigger: join(BASE, AMBIENT(''), WAYPOINT, amb('get-only', '{targetRefs: [{kind: Service, group: "", name: api}], rules: [{to: [{operation: {methods: [GET]}}]}]}')), clean: [['istio.io/dataplane-mode: ambient}', `istio.io/dataplane-mode: ambient, ${USE_WAYPOINT}}`]] },
  { code: 'ZT714', variant: 'waypoint for workloads only', trigger: join(BASE, AMBIENT(USE_WAYPOINT), WAYPOINT.replace('waypoint-for: service', 'waypoint-for: workload'), amb('get-only', '{targetRefs: [{kind: Service, group: "", name: api}], rules: [{to: [{operation: {methods: [GET]}}]}]}')), clean: [['waypoint-for: workload', 'waypoint-for: all']] },
  { code: 'ZT715', trigger: join(BASE, AMBIENT('istio.io/use-waypoint: wp'), WAYPOINT), clean: [['istio.io/use-waypoint: wp', USE_WAYPOINT]] },
  { code: 'ZT715', variant: 'waypoint in another namespace, allowedRoutes Same', trigger: join(BASE, AMBIENT(`${USE_WAYPOINT}, istio.io/use-waypoint-namespace: shop`), WAYPOINT.replace('namespace: amb', 'namespace: shop')), clean: [['listeners: [{name: mesh, port: 15008, protocol: HBONE}]', 'listeners: [{name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {namespaces: {from: All}}}]']] },
  { code: 'ZT716', trigger: join(BASE, AMBIENT(USE_WAYPOINT), WAYPOINT, amb('api-l4', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/amb/sa/web"]}}]}]}')), clean: [['["cluster.local/ns/amb/sa/web"]', '["cluster.local/ns/amb/sa/web", "cluster.local/ns/amb/sa/waypoint"]']] },
  { code: 'ZT718', trigger: join(BASE, AMBIENT(USE_WAYPOINT), WAYPOINT, amb('get-only', '{targetRefs: [{kind: Service, group: "", name: api}], rules: [{to: [{operation: {methods: [GET]}}]}]}')), clean: [['name: get-only, namespace: amb}\nspec: {targetRefs: [{kind: Service, group: "", name: api}]', 'name: get-only, namespace: amb}\nspec: {selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/amb/sa/waypoint"]}}]}]}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: get-only-l7, namespace: amb}\nspec: {targetRefs: [{kind: Service, group: "", name: api}]']] },
  { code: 'ZT717', trigger: join(BASE, AMBIENT(), amb('waypoint-default-deny', '{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio-waypoint}]}')), clean: [['name: waypoint-default-deny, namespace: amb', 'name: waypoint-default-deny, namespace: istio-system']] },
];

function cleanOf(c: Case): string {
  let text = c.trigger;
  for (const [from, to] of c.clean) {
    if (!text.includes(from)) throw new Error(`${c.code}${c.variant ? ` (${c.variant})` : ''}: the trigger does not contain ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

describe('the clean base mesh', () => {
  test('has no findings at all', () => {
    expect(analyzeYaml(BASE)).toEqual([]);
  });
});

describe.each(CASES.map((c) => [`${c.code}${c.variant ? ` (${c.variant})` : ''}`, c] as const))('%s', (_, c) => {
  test('fires on the triggering manifest', () => {
    const findings = analyzeYaml(c.trigger, c.options).filter((f) => f.code === c.code);
    expect(findings).not.toEqual([]);
    for (const f of findings) {
      expect(f.message.length).toBeGreaterThan(20);
      expect(f.fix.length).toBeGreaterThan(10);
    }
  });

  test('stays silent on the near-identical clean manifest', () => {
    const clean = cleanOf(c);
    expect(clean).not.toBe(c.trigger);
    expect(analyzeYaml(clean, c.options).filter((f) => f.code === c.code)).toEqual([]);
  });
});

describe('ZT201 says which scope and which setting is weak', () => {
  const zt201 = (yaml: string) => analyzeYaml(yaml).filter((f) => f.code === 'ZT201').map((f) => f.message);
  const onApi = '{selector: {matchLabels: {app: api}}, ';

  test('mesh, namespace and workload scope, each with the mode it sets', () => {
    expect(zt201(base('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: DISABLE}} # mesh'))).toEqual([
      expect.stringMatching(/^PeerAuthentication istio-system\/default \(mesh scope\) sets mode DISABLE: every workload in the mesh that does not override it accepts plaintext/),
    ]);
    expect(zt201(join(BASE, pa('default', '{mtls: {mode: PERMISSIVE}}')))).toEqual([
      expect.stringMatching(/\(namespace scope\) sets mode PERMISSIVE: the workloads of namespace shop accept plaintext/),
    ]);
    expect(zt201(join(BASE, pa('api', `${onApi}mtls: {mode: DISABLE}}`)))).toEqual([
      expect.stringMatching(/\(workload scope\) sets mode DISABLE: the workloads it selects accept plaintext/),
    ]);
  });

  test('every weak port is listed with its mode; STRICT and UNSET ports are not', () => {
    const yaml = join(BASE, pa('api', `${onApi}mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: PERMISSIVE}, "9090": {mode: DISABLE}, "9091": {mode: STRICT}, "9092": {mode: UNSET}}}`));
    const [message, ...rest] = zt201(yaml);
    expect(rest).toEqual([]);
    expect(message).toMatch(/sets port 8080 PERMISSIVE and port 9090 DISABLE:/);
    expect(message).not.toMatch(/9091|9092|mode STRICT/);
  });

  test('an error, or with the acknowledged-non-strict-mtls annotation a warning that quotes the reason', () => {
    const findings = (annotations?: string) => analyzeYaml(join(BASE, istio('PeerAuthentication', 'shop', 'default', '{mtls: {mode: PERMISSIVE}}', annotations)))
      .filter((f) => f.code === 'ZT201').map((f) => [f.severity, f.message.endsWith('Acknowledged: "migration, OPS-42".')]);
    expect(findings()).toEqual([['error', false]]);
    expect(findings('zero-trust-mesh.io/acknowledged-non-strict-mtls: "migration, OPS-42"')).toEqual([['warning', true]]);
    expect(findings('zero-trust-mesh.io/acknowledged-plaintext: "migration, OPS-42"')).toEqual([['error', false]]);
  });

  test('STRICT and UNSET at every level are silent', () => {
    expect(zt201(join(BASE, pa('default', '{mtls: {mode: UNSET}}'), pa('api', `${onApi}mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: UNSET}}}`)))).toEqual([]);
  });
});

describe('coverage of the table', () => {
  test('every registered code has a case', () => {
    const covered = new Set(CASES.map((c) => c.code));
    // ZT009 is a safety net with no trigger; ZT005 is about directories (test/analysis/load-hostile.test.ts).
    const registered = [...INPUT_CHECKS.map((c) => c.code), ...CHECKS.map((c) => c.code)].filter((c) => c !== 'ZT009' && c !== 'ZT005');
    expect(registered.filter((c) => !covered.has(c))).toEqual([]);
  });

  test('each finding carries the severity its check declares (unless acknowledged)', () => {
    const severity = new Map<string, string>([...INPUT_CHECKS, ...CHECKS].map((c) => [c.code, c.severity]));
    for (const c of CASES) for (const f of analyzeYaml(c.trigger, c.options)) expect([f.code, f.severity]).toEqual([f.code, severity.get(f.code)]);
  });

  test('there are at least 30 checks on the mesh model', () => {
    expect(CHECKS.length).toBeGreaterThanOrEqual(30);
  });
});

describe('ZT009: a check that fails on odd input', () => {
  const { objects } = parseManifests(BASE, 'case.yaml');
  const broken: Check = { code: 'ZT999', severity: 'error', area: 'input', title: 'broken', run: () => { throw new Error('boom'); } };
  const working: Check = { code: 'ZT998', severity: 'info', area: 'input', title: 'works', *run(m) { yield { object: m.objects[0]!, message: 'seen', fix: 'none' }; } };

  test('is reported as a finding, and the other checks still run', () => {
    const findings = analyzeObjects(objects, {}, [], [broken, working]);
    expect(codesOf(findings)).toEqual(['ZT009', 'ZT998']);
    expect(findings.find((f) => f.code === 'ZT009')!.message).toMatch(/Check ZT999 \(broken\) could not run on this input: boom/);
  });

  test('is absent when every check runs', () => {
    expect(codesOf(analyzeObjects(objects, {}, [], [working]))).toEqual(['ZT998']);
  });
});
