// The ambient checks (analysis/checks/ambient.ts, ZT711–ZT718) finding by finding: which object
// each reports, at which severity, and what the message says, on small ambient meshes beside
// BASE (ISTIO.md §9: ztunnel's L4 conversion, waypoint binding, targetRefs attachment). The table
// in test/analysis/checks.test.ts shows that each fires and a near-identical manifest is clean;
// these pin the branches a mutation run found untested (issue 21).
import { AMBIENT_CHECKS } from '../../../analysis/checks/ambient.js';
import { app, BASE, foundInClean, istio, join, ns } from '../fixtures.js';

/** The findings of `code` on BASE plus the given documents, which must load cleanly. */
const on = (code: string, ...docs: string[]) => foundInClean(join(BASE, ...docs), code);
const messages = (code: string, ...docs: string[]) => on(code, ...docs).map((f) => f.message);
const objects = (code: string, ...docs: string[]) => on(code, ...docs).map((f) => f.object);

/** An ambient namespace `amb` (extra namespace labels as flow entries) with api and web. */
const AMBIENT = (labels = '') => join(ns('amb', `istio.io/dataplane-mode: ambient${labels ? `, ${labels}` : ''}`), app('amb', 'api'), app('amb', 'web'));
const USE_WAYPOINT = 'istio.io/use-waypoint: waypoint';
/** A waypoint Gateway in `namespace` (extra Gateway labels, and listeners, as flow YAML). */
const waypoint = (namespace = 'amb', labels = 'istio.io/waypoint-for: service', listeners = '[{name: mesh, port: 15008, protocol: HBONE}]', name = 'waypoint') =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: ${name}, namespace: ${namespace}, labels: {${labels}}}\nspec: {gatewayClassName: istio-waypoint, listeners: ${listeners}}\n`;
const WAYPOINT = waypoint();
const ap = (name: string, spec: string, namespace = 'amb', annotations?: string) => istio('AuthorizationPolicy', namespace, name, spec, annotations);
const ON_API = '{selector: {matchLabels: {app: api}}, ';
/** A selector policy on amb's api with the given rest of its spec (flow YAML, without the braces). */
const onApi = (name: string, rest: string, namespace = 'amb') => ap(name, `${ON_API}${rest}}`, namespace);
const WEB = '"cluster.local/ns/amb/sa/web"';
const WAYPOINT_DOC = 'https://istio.io/latest/docs/ambient/usage/waypoint/';
const AUTHORIZATION_DOC = 'https://istio.io/latest/docs/ambient/usage/l4-policy/';
const targetService = (name: string, rest = 'rules: [{to: [{operation: {methods: [GET]}}]}]', namespace = 'amb', group = '""') => ap(name, `{targetRefs: [{kind: Service, group: ${group}, name: api}], ${rest}}`, namespace);

test('each ambient check has a title and the ambient area', () => {
  expect(AMBIENT_CHECKS.map((c) => c.code)).toEqual(['ZT711', 'ZT712', 'ZT713', 'ZT714', 'ZT715', 'ZT716', 'ZT717', 'ZT718']);
  for (const c of AMBIENT_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'ambient']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT711: L7 fields in a selector ALLOW on ambient workloads', () => {
  test('the finding: error, on the policy; every rule dropped leaves the workload closed; no waypoint yet', () => {
    expect(on('ZT711', AMBIENT(), onApi('l7', `rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {methods: [GET], paths: ["/api/*"]}}]}]`))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy amb/l7',
      message: 'AuthorizationPolicy amb/l7 applies at ztunnel to the ambient workload(s) amb/api, which cannot enforce L7 attributes: it drops rules[0] (methods, paths) whole, so the policy allows nothing there and those workloads refuse every connection no other ALLOW admits.',
      fix: `bind a waypoint (Gateway of class istio-waypoint, istio.io/use-waypoint on the Service or Namespace) and move the L7 conditions to an AuthorizationPolicy with targetRefs to the Service; keep only principals, namespaces, ipBlocks and ports in the selector policy (${AUTHORIZATION_DOC}).`,
    }]);
  });

  test('some rules dropped: those grants never match; with a waypoint bound, the fix only moves the conditions', () => {
    const policy = onApi('l7', `rules: [{from: [{source: {principals: [${WEB}]}}]}, {from: [{source: {requestPrincipals: ["*"]}}], when: [{key: "request.headers[x-a]", values: [b]}]}]`);
    const [finding] = on('ZT711', AMBIENT(USE_WAYPOINT), WAYPOINT, policy);
    expect(finding!.message).toBe('AuthorizationPolicy amb/l7 applies at ztunnel to the ambient workload(s) amb/api, which cannot enforce L7 attributes: it drops rules[1] (requestPrincipals, when request.headers[x-a]) whole, so those grants never match.');
    expect(finding!.fix).toBe(`move the L7 conditions to an AuthorizationPolicy with targetRefs to the Service; keep only principals, namespaces, ipBlocks and ports in the selector policy (${AUTHORIZATION_DOC}).`);
  });

  test('a waypoint bound to the pods themselves, or to a Service of theirs, counts; one bound elsewhere does not', () => {
    const policy = onApi('l7', 'rules: [{to: [{operation: {methods: [GET]}}]}]');
    const fix = (yaml: string[]) => on('ZT711', ...yaml, policy).map((f) => f.fix.slice(0, 5));
    const pods = app('amb', 'api', { podLabels: 'istio.io/use-waypoint: waypoint' });
    expect(fix([ns('amb', 'istio.io/dataplane-mode: ambient'), pods, waypoint('amb', 'istio.io/waypoint-for: workload')])).toEqual(['move ']);
    const svc = app('amb', 'api').replace('kind: Service\nmetadata: {name: api, namespace: amb}', 'kind: Service\nmetadata: {name: api, namespace: amb, labels: {istio.io/use-waypoint: waypoint}}');
    expect(svc).toContain('labels: {istio.io/use-waypoint: waypoint}');
    expect(fix([ns('amb', 'istio.io/dataplane-mode: ambient'), svc, WAYPOINT])).toEqual(['move ']);
    expect(fix([ns('amb', 'istio.io/dataplane-mode: ambient'), app('amb', 'api'), app('amb', 'web').replace('kind: Service\nmetadata: {name: web, namespace: amb}', 'kind: Service\nmetadata: {name: web, namespace: amb, labels: {istio.io/use-waypoint: waypoint}}'), WAYPOINT])).toEqual(['bind ']);
  });

  test('one bound Service among the pods\' Services, or one workload with a waypoint among those named, is enough to only move the conditions', () => {
    const admin = `apiVersion: v1\nkind: Service\nmetadata: {name: api-admin, namespace: amb}\nspec: {selector: {app: api}, ports: [{name: http, port: 81, targetPort: 8080}]}\n`;
    const bound = app('amb', 'api').replace('kind: Service\nmetadata: {name: api, namespace: amb}', 'kind: Service\nmetadata: {name: api, namespace: amb, labels: {istio.io/use-waypoint: waypoint}}');
    const l7 = 'rules: [{to: [{operation: {methods: [GET]}}]}]';
    expect(on('ZT711', ns('amb', 'istio.io/dataplane-mode: ambient'), bound, admin, WAYPOINT, onApi('l7', l7)).map((f) => f.fix.slice(0, 5))).toEqual(['move ']);
    // A namespace-wide ALLOW on api (behind the waypoint) and web (not).
    expect(on('ZT711', ns('amb', 'istio.io/dataplane-mode: ambient'), bound, app('amb', 'web'), WAYPOINT, ap('l7', `{${l7}}`)).map((f) => [f.message.split(',')[0], f.fix.slice(0, 5)])).toEqual([
      ['AuthorizationPolicy amb/l7 applies at ztunnel to the ambient workload(s) amb/api and amb/web', 'move '],
    ]);
  });

  test('only ambient workloads are named; sidecar workloads enforce L7 themselves', () => {
    const rootPolicy = ap('l7', `${ON_API}rules: [{to: [{operation: {methods: [GET]}}]}]}`, 'istio-system');
    expect(messages('ZT711', AMBIENT(), rootPolicy)).toEqual([
      'AuthorizationPolicy istio-system/l7 applies at ztunnel to the ambient workload(s) amb/api, which cannot enforce L7 attributes: it drops rules[0] (methods) whole, so the policy allows nothing there and those workloads refuse every connection no other ALLOW admits.',
    ]);
    expect(messages('ZT711', onApi('l7', 'rules: [{to: [{operation: {methods: [GET]}}]}]', 'shop'))).toEqual([]);
  });

  test('not for a DENY, a dry run, a targetRefs policy, a CUSTOM policy, or an ALLOW of L4 fields only', () => {
    const rules = 'rules: [{to: [{operation: {methods: [GET]}}]}]';
    expect(objects('ZT711', AMBIENT(), onApi('deny', `action: DENY, ${rules}`), onApi('custom', `action: CUSTOM, provider: {name: ext}, ${rules}`),
      ap('dry', `${ON_API}${rules}}`, 'amb', 'istio.io/dry-run: "true"'), targetService('t'), onApi('l4', `rules: [{from: [{source: {principals: [${WEB}], namespaces: [amb], ipBlocks: [10.0.0.0/8]}}], to: [{operation: {ports: ["8080"]}}], when: [{key: source.ip, values: [10.0.0.1]}]}]`))).toEqual([]);
    expect(objects('ZT711', AMBIENT(), ap('dry', `${ON_API}${rules}}`, 'amb', 'istio.io/dry-run: "false"'))).toEqual(['AuthorizationPolicy amb/dry']);
  });
});

describe('ZT712, ZT713: a selector DENY with L7 fields on ambient workloads', () => {
  test('ZT712: error; an L7 condition emptied makes the rule never deny', () => {
    expect(on('ZT712', AMBIENT(), onApi('require-jwt', 'action: DENY, rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]'))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy amb/require-jwt',
      message: 'AuthorizationPolicy amb/require-jwt applies at ztunnel to the ambient workload(s) amb/api; ztunnel leaves out L7 attributes, which empties a condition of rules[0] (notRequestPrincipals), so that rule never denies anything there: the denial fails open (1.30\'s status message says "more restrictive", which is wrong for this shape).',
      fix: `enforce it at a waypoint: an AuthorizationPolicy with targetRefs to the Service, the Service bound to a waypoint, and an L4 policy on the pods admitting only the waypoint (${WAYPOINT_DOC}).`,
    }]);
  });

  test('ZT712: several dead rules are named together; the rules that still fire are not', () => {
    const policy = onApi('d', `action: DENY, rules: [{to: [{operation: {methods: [POST]}}]}, {from: [{source: {principals: [${WEB}]}}]}, {when: [{key: "request.auth.claims[iss]", values: [x]}]}]`);
    expect(messages('ZT712', AMBIENT(), policy)).toEqual([
      'AuthorizationPolicy amb/d applies at ztunnel to the ambient workload(s) amb/api; ztunnel leaves out L7 attributes, which empties a condition of rules[0] (methods), rules[2] (when request.auth.claims[iss]), so those rules never deny anything there: the denial fails open (1.30\'s status message says "more restrictive", which is wrong for this shape).',
    ]);
    expect(messages('ZT713', AMBIENT(), policy)).toEqual([]);
  });

  test('ZT713: warning; an L7 field beside an L4 one widens the denial to every request of the L4 conditions', () => {
    expect(on('ZT713', AMBIENT(), onApi('no-post', 'action: DENY, rules: [{to: [{operation: {ports: ["8080"], methods: [POST]}}]}]'))).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy amb/no-post',
      message: 'AuthorizationPolicy amb/no-post applies at ztunnel to the ambient workload(s) amb/api; ztunnel leaves out the L7 attributes of rules[0] (methods) and denies on the rest, so it refuses more than written (every request matching its L4 conditions).',
      fix: `move the L7 conditions to a waypoint policy (targetRefs to the Service), keeping the L4-only denial here if intended (${AUTHORIZATION_DOC}).`,
    }]);
    expect(messages('ZT712', AMBIENT(), onApi('no-post', 'action: DENY, rules: [{to: [{operation: {ports: ["8080"], methods: [POST]}}]}]'))).toEqual([]);
  });

  test('neither for an ALLOW, a DENY of L4 fields only, a dry run, or workloads with sidecars', () => {
    const dead = 'rules: [{to: [{operation: {methods: [POST]}}]}, {to: [{operation: {ports: ["8080"], paths: ["/x"]}}]}]';
    const yaml = [AMBIENT(), onApi('allow', dead), onApi('l4', `action: DENY, rules: [{from: [{source: {principals: [${WEB}]}}]}]`),
      ap('dry', `${ON_API}action: DENY, ${dead}}`, 'amb', 'istio.io/dry-run: "true"'), onApi('side', `action: DENY, ${dead}`, 'shop')];
    expect([...objects('ZT712', ...yaml), ...objects('ZT713', ...yaml)]).toEqual([]);
    expect(objects('ZT712', AMBIENT(), onApi('both', `action: DENY, ${dead}`))).toEqual(['AuthorizationPolicy amb/both']);
    expect(objects('ZT713', AMBIENT(), onApi('both', `action: DENY, ${dead}`))).toEqual(['AuthorizationPolicy amb/both']);
  });

  test('a rule that never fires for a reason other than L7 fields is not ZT712\'s (trustDomains: ZT114)', () => {
    expect(messages('ZT712', AMBIENT(), onApi('td', 'action: DENY, rules: [{from: [{source: {trustDomains: ["example.org"]}}]}]'))).toEqual([]);
  });

  test('a namespace-wide DENY names every ambient workload it reaches', () => {
    expect(messages('ZT713', AMBIENT(), ap('no-post', '{action: DENY, rules: [{to: [{operation: {ports: ["8080"], methods: [POST]}}]}]}'))).toEqual([
      'AuthorizationPolicy amb/no-post applies at ztunnel to the ambient workload(s) amb/api and amb/web; ztunnel leaves out the L7 attributes of rules[0] (methods) and denies on the rest, so it refuses more than written (every request matching its L4 conditions).',
    ]);
  });
});

describe('ZT714: targetRefs to a Service that no waypoint serves', () => {
  const unbound = (action: string, reason = 'no istio.io/use-waypoint label on it or its namespace', kind = 'Service') =>
    `AuthorizationPolicy amb/get-only targets ${kind} amb/api, which no waypoint serves (${reason}): only waypoints read targetRefs to a ${kind}, and ztunnel ignores the policy, so it is enforced nowhere and the traffic it should ${action} (istio.io/WaypointBound=False, AncestorNotBound).`;

  test('the finding: error, on the policy; an ALLOW restricts nothing', () => {
    expect(on('ZT714', AMBIENT(), WAYPOINT, targetService('get-only'))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy amb/get-only',
      message: unbound('restrict is not restricted'),
      fix: `declare a waypoint (Gateway of class istio-waypoint, istio.io/waypoint-for: service) and label the Service or namespace istio.io/use-waypoint=<waypoint> (${WAYPOINT_DOC}).`,
    }]);
  });

  test('a DENY lets what it should deny pass; the group "core" and a RequestAuthentication count alike', () => {
    expect(messages('ZT714', AMBIENT(), targetService('get-only', 'action: DENY, rules: [{to: [{operation: {methods: [POST]}}]}]'))).toEqual([unbound('deny passes')]);
    expect(messages('ZT714', AMBIENT(), targetService('get-only', 'rules: [{to: [{operation: {methods: [GET]}}]}]', 'amb', 'core'))).toEqual([unbound('restrict is not restricted')]);
    expect(objects('ZT714', AMBIENT(), istio('RequestAuthentication', 'amb', 'jwt', '{targetRefs: [{kind: Service, group: "", name: api}], jwtRules: [{issuer: "https://idp.example.com"}]}'))).toEqual(['RequestAuthentication amb/jwt']);
  });

  test('a ServiceEntry target, and the reason a binding failed', () => {
    const entry = istio('ServiceEntry', 'amb', 'api', '{hosts: [api.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}');
    const policy = ap('get-only', '{targetRefs: [{kind: ServiceEntry, group: networking.istio.io, name: api}], rules: [{to: [{operation: {methods: [GET]}}]}]}');
    expect(messages('ZT714', ns('amb', 'istio.io/dataplane-mode: ambient, istio.io/use-waypoint: nowhere'), entry, policy)).toEqual([
      unbound('restrict is not restricted', 'WaypointIsNotReady: Namespace amb (inherited by ServiceEntry amb/api) names waypoint amb/nowhere, which is not in the manifests', 'ServiceEntry'),
    ]);
    // A ServiceEntry kind in another group, or a Service in a group of its own, is no such target.
    expect(messages('ZT714', AMBIENT(), entry, ap('x', '{targetRefs: [{kind: ServiceEntry, group: "", name: api}, {kind: Service, group: networking.istio.io, name: api}], rules: [{}]}'))).toEqual([]);
  });

  test('bound Services are served; a target named in another namespace is rejected by validation, not judged', () => {
    expect(objects('ZT714', AMBIENT(USE_WAYPOINT), WAYPOINT, targetService('get-only'))).toEqual([]);
    expect(objects('ZT714', AMBIENT(), ap('x', '{targetRefs: [{kind: Service, group: "", name: api, namespace: amb}], rules: [{}]}'))).toEqual([]);
    expect(objects('ZT714', AMBIENT(), ap('x', '{targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}], rules: [{}]}'))).toEqual([]);
  });

  test('a target missing from the policy\'s namespace applies nowhere; a namespace the input does not show is not judged', () => {
    expect(on('ZT714', AMBIENT(), targetService('get-only').replace('name: api}', 'name: apii}'))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy amb/get-only',
      message: 'AuthorizationPolicy amb/get-only targets Service amb/apii, which is not in namespace amb (a targetRefs policy must live in its target\'s namespace): it applies nowhere.',
      fix: 'name an existing Service of namespace amb, or move the policy to the target\'s namespace.',
    }]);
    // The Service of the same name in another namespace (bound to a waypoint there) is not it.
    expect(messages('ZT714', AMBIENT(USE_WAYPOINT), WAYPOINT, ns('front'), targetService('x', 'rules: [{}]', 'front'))).toEqual([
      'AuthorizationPolicy front/x targets Service front/api, which is not in namespace front (a targetRefs policy must live in its target\'s namespace): it applies nowhere.',
    ]);
    expect(messages('ZT714', targetService('x', 'rules: [{}]', 'ghost'))).toEqual([]);
    // A namespace known only by a Service of its own is in the input.
    expect(objects('ZT714', targetService('x', 'rules: [{}]', 'ghost').replace('name: api}', 'name: other}'), `apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: ghost}\nspec: {ports: [{port: 80}]}\n`)).toEqual(['AuthorizationPolicy ghost/x']);
  });
});

describe('ZT715: an istio.io/use-waypoint label that does not bind', () => {
  const fix = (ref: string) => `declare the waypoint ${ref} (Gateway of class istio-waypoint, one HBONE listener on 15008, istio.io/waypoint-for matching the traffic, allowedRoutes admitting the bound namespaces), or correct the label (${WAYPOINT_DOC}).`;

  test('the finding: error, on a Namespace that names a waypoint that is not there', () => {
    expect(on('ZT715', AMBIENT('istio.io/use-waypoint: wp'), WAYPOINT)).toEqual([{
      severity: 'error', object: 'Namespace amb',
      message: 'Namespace amb is labelled istio.io/use-waypoint=wp, but there is no waypoint amb/wp (a Gateway of class istio-waypoint): its traffic goes direct, so no L7 policy is enforced.',
      fix: fix('amb/wp'),
    }]);
  });

  test('a waypoint whose listeners are wrong is never ready; one that does not admit the namespace denies the attachment', () => {
    expect(messages('ZT715', AMBIENT(USE_WAYPOINT), waypoint('amb', 'istio.io/waypoint-for: service', '[{name: mesh, port: 15009, protocol: HBONE}]'))).toEqual([
      'Namespace amb is labelled istio.io/use-waypoint=waypoint, but waypoint amb/waypoint listens for HBONE on port 15009, not 15008, so it is never ready: its traffic goes direct, so no L7 policy is enforced.',
    ]);
    expect(messages('ZT715', AMBIENT(`${USE_WAYPOINT}, istio.io/use-waypoint-namespace: shop`), waypoint('shop'))).toEqual([
      'Namespace amb is labelled istio.io/use-waypoint=waypoint, but waypoint shop/waypoint\'s HBONE listener allowedRoutes (default Same) do not admit namespace amb (AttachmentDenied): its traffic goes direct, so no L7 policy is enforced.',
    ]);
    expect(on('ZT715', AMBIENT(`${USE_WAYPOINT}, istio.io/use-waypoint-namespace: shop`), waypoint('shop')).map((f) => f.fix)).toEqual([fix('shop/waypoint')]);
    expect(messages('ZT715', AMBIENT(`${USE_WAYPOINT}, istio.io/use-waypoint-namespace: shop`), waypoint('shop', 'istio.io/waypoint-for: service', '[{name: mesh, port: 15008, protocol: HBONE, allowedRoutes: {namespaces: {from: All}}}]'))).toEqual([]);
  });

  test('no label, "none", a bound waypoint, or a waypoint namespace the input does not show: no finding', () => {
    expect(messages('ZT715', AMBIENT(), AMBIENT('istio.io/use-waypoint: none').replaceAll('amb', 'opt'), AMBIENT(USE_WAYPOINT).replaceAll('amb', 'ok'), waypoint('ok'))).toEqual([]);
    expect(messages('ZT715', AMBIENT(`${USE_WAYPOINT}, istio.io/use-waypoint-namespace: elsewhere`))).toEqual([]);
    // A namespace the input shows only by its Gateways is in the input: the waypoint is missing there.
    expect(messages('ZT715', AMBIENT(`${USE_WAYPOINT}, istio.io/use-waypoint-namespace: edge`), waypoint('edge', 'istio.io/waypoint-for: service', '[{name: mesh, port: 15008, protocol: HBONE}]', 'other'))).toEqual([
      'Namespace amb is labelled istio.io/use-waypoint=waypoint, but there is no waypoint edge/waypoint (a Gateway of class istio-waypoint): its traffic goes direct, so no L7 policy is enforced.',
    ]);
  });

  test('a Service with its own label that does not bind; one that only inherits the namespace\'s is reported on the Namespace', () => {
    const labelled = (labels: string) => app('amb', 'api').replace('kind: Service\nmetadata: {name: api, namespace: amb}', `kind: Service\nmetadata: {name: api, namespace: amb, labels: {${labels}}}`);
    expect(on('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), labelled('istio.io/use-waypoint: wp'), WAYPOINT)).toEqual([{
      severity: 'error', object: 'Service amb/api',
      message: 'Service amb/api does not bind to a waypoint (WaypointIsNotReady: Service amb/api names waypoint amb/wp, which is not in the manifests): its traffic goes direct, so no L7 policy is enforced.',
      fix: fix('amb/wp'),
    }]);
    expect(on('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), labelled('istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: shop'), waypoint('shop', 'istio.io/waypoint-for: service', '[{name: mesh, port: 15008, protocol: HBONE}]', 'wp')).map((f) => [f.object, f.fix])).toEqual([
      ['Service amb/api', fix('shop/wp')],
    ]);
    // Inherited: only the Namespace is reported.
    expect(objects('ZT715', AMBIENT('istio.io/use-waypoint: wp'), WAYPOINT)).toEqual(['Namespace amb']);
    // Its own "none", or its own label to a bound waypoint.
    expect(objects('ZT715', AMBIENT('istio.io/use-waypoint: wp').replace(app('amb', 'api'), labelled('istio.io/use-waypoint: none')), WAYPOINT)).toEqual(['Namespace amb']);
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), labelled(USE_WAYPOINT), WAYPOINT)).toEqual([]);
    // A waypoint in a namespace the input does not show may well exist; one whose Gateways the input shows has none of that name.
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), labelled('istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: elsewhere'))).toEqual([]);
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), labelled('istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: edge'), waypoint('edge'))).toEqual(['Service amb/api']);
  });

  test('a Service under a namespace waypoint for workloads only: reported on the Service, the fix names that waypoint', () => {
    expect(on('ZT715', AMBIENT(USE_WAYPOINT), waypoint('amb', 'istio.io/waypoint-for: workload'))).toEqual(['api', 'web'].map((s) => ({
      severity: 'error', object: `Service amb/${s}`,
      message: `Service amb/${s} does not bind to a waypoint (UnsupportedTrafficType: waypoint amb/waypoint is for workload traffic (istio.io/waypoint-for), not service traffic of Service amb/${s}): its traffic goes direct, so no L7 policy is enforced.`,
      fix: `let waypoint amb/waypoint serve Services (istio.io/waypoint-for: service or all), or label Service amb/${s} istio.io/use-waypoint with a waypoint that does (https://istio.io/latest/docs/ambient/usage/waypoint/).`,
    })));
  });

  test('a ServiceEntry with its own label', () => {
    const entry = istio('ServiceEntry', 'amb', 'ext', '{hosts: [api.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}').replace('namespace: amb}', 'namespace: amb, labels: {istio.io/use-waypoint: wp}}');
    expect(objects('ZT715', AMBIENT(), WAYPOINT, entry)).toEqual(['ServiceEntry amb/ext']);
  });

  test('pods with their own label that does not bind; an inherited service waypoint is silently none for pods', () => {
    const pods = (labels: string) => app('amb', 'api', { podLabels: labels, service: false });
    expect(on('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), pods('istio.io/use-waypoint: waypoint'), WAYPOINT)).toEqual([{
      severity: 'error', object: 'Deployment amb/api',
      message: 'Deployment amb/api\'s pods are labelled istio.io/use-waypoint=waypoint but do not bind (UnsupportedTrafficType: waypoint amb/waypoint is for service traffic (istio.io/waypoint-for), not workload traffic of pod of Deployment amb/api): traffic to the pods goes direct.',
      fix: fix('amb/waypoint'),
    }]);
    expect(on('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), pods('istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: shop'), waypoint('shop', 'istio.io/waypoint-for: workload')).map((f) => f.fix)).toEqual([fix('shop/wp')]);
    expect(objects('ZT715', ns('amb', `istio.io/dataplane-mode: ambient, ${USE_WAYPOINT}`), app('amb', 'api', { service: false }), WAYPOINT)).toEqual([]);
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), pods('istio.io/use-waypoint: none'), app('amb', 'wl', { podLabels: 'istio.io/use-waypoint: waypoint', service: false }), waypoint('amb', 'istio.io/waypoint-for: all'))).toEqual([]);
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), pods('istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: elsewhere'))).toEqual([]);
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), pods('istio.io/use-waypoint: wp, istio.io/use-waypoint-namespace: edge'), waypoint('edge'))).toEqual(['Deployment amb/api']);
    expect(objects('ZT715', ns('amb', 'istio.io/dataplane-mode: ambient'), pods('istio.io/use-waypoint: wp'))).toEqual(['Deployment amb/api']);
  });
});

describe('ZT716: an L4 ALLOW behind a waypoint that omits the waypoint\'s identity', () => {
  const L4_WEB = onApi('api-l4', `rules: [{from: [{source: {principals: [${WEB}]}}]}]`);
  const WAYPOINT_PRINCIPAL = '"cluster.local/ns/amb/sa/waypoint"';

  test('the finding: error, on the workload, naming the waypoint, its identity and the ports closed to it', () => {
    expect(on('ZT716', AMBIENT(USE_WAYPOINT), WAYPOINT, L4_WEB)).toEqual([{
      severity: 'error', object: 'Deployment amb/api',
      message: 'Deployment amb/api is ambient and behind waypoint amb/waypoint, which calls it as cluster.local/ns/amb/sa/waypoint; no rule of its L4 ALLOW policies (amb/api-l4) admits that identity on port(s) 8080, so ztunnel closes every request that goes through the waypoint.',
      fix: `add "cluster.local/ns/amb/sa/waypoint" to the principals of the selector ALLOW on its pods (the require-waypoint pattern: ${WAYPOINT_DOC}#require-waypoint), or set PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true on istiod.`,
    }]);
  });

  test('the waypoint admitted on every port the Service targets, by any ALLOW, is enough; on some ports only, the others are named', () => {
    const twoPorts = app('amb', 'api').replace('ports: [{name: http, port: 80, targetPort: 8080}]', 'ports: [{name: http-admin, port: 81, targetPort: 9090}, {name: http, port: 80, targetPort: 8080}, {name: http-x, port: 82, targetPort: nothing}]');
    expect(twoPorts).toContain('targetPort: 9090');
    const yaml = [ns('amb', `istio.io/dataplane-mode: ambient, ${USE_WAYPOINT}`), twoPorts, WAYPOINT, L4_WEB];
    expect(messages('ZT716', ...yaml, onApi('wp-8080', `rules: [{from: [{source: {principals: [${WAYPOINT_PRINCIPAL}]}}], to: [{operation: {ports: ["8080"]}}]}]`))).toEqual([
      'Deployment amb/api is ambient and behind waypoint amb/waypoint, which calls it as cluster.local/ns/amb/sa/waypoint; no rule of its L4 ALLOW policies (amb/api-l4 and amb/wp-8080) admits that identity on port(s) 9090, so ztunnel closes every request that goes through the waypoint.',
    ]);
    expect(messages('ZT716', ...yaml)).toEqual([
      'Deployment amb/api is ambient and behind waypoint amb/waypoint, which calls it as cluster.local/ns/amb/sa/waypoint; no rule of its L4 ALLOW policies (amb/api-l4) admits that identity on port(s) 8080, 9090, so ztunnel closes every request that goes through the waypoint.',
    ]);
    expect(messages('ZT716', ...yaml, onApi('wp', `rules: [{from: [{source: {principals: [${WAYPOINT_PRINCIPAL}]}}]}]`))).toEqual([]);
    // One rule of a policy is enough.
    expect(messages('ZT716', ns('amb', `istio.io/dataplane-mode: ambient, ${USE_WAYPOINT}`), app('amb', 'api'), WAYPOINT, onApi('api-l4', `rules: [{from: [{source: {principals: [${WEB}]}}]}, {from: [{source: {principals: [${WAYPOINT_PRINCIPAL}]}}]}]`))).toEqual([]);
  });

  test('the waypoint\'s ServiceAccount can be renamed by annotation', () => {
    const renamed = WAYPOINT.replace('labels: {istio.io/waypoint-for: service}}', 'labels: {istio.io/waypoint-for: service}, annotations: {gateway.istio.io/service-account: wp-sa}}');
    expect(renamed).toContain('wp-sa');
    expect(messages('ZT716', AMBIENT(USE_WAYPOINT), renamed, onApi('api-l4', `rules: [{from: [{source: {principals: [${WAYPOINT_PRINCIPAL}]}}]}]`)).map((m) => m.split(';')[0])).toEqual([
      'Deployment amb/api is ambient and behind waypoint amb/waypoint, which calls it as cluster.local/ns/amb/sa/wp-sa',
    ]);
  });

  test('a workload waypoint in front of the pods: every port they receive on', () => {
    const pods = app('amb', 'api', { podLabels: USE_WAYPOINT });
    expect(messages('ZT716', ns('amb', 'istio.io/dataplane-mode: ambient'), pods, waypoint('amb', 'istio.io/waypoint-for: workload'), L4_WEB)).toEqual([
      'Deployment amb/api is ambient and behind waypoint amb/waypoint, which calls it as cluster.local/ns/amb/sa/waypoint; no rule of its L4 ALLOW policies (amb/api-l4) admits that identity on port(s) 8080, so ztunnel closes every request that goes through the waypoint.',
    ]);
    // A waypoint for both: one finding, the ports of the pod and of its Service together.
    expect(objects('ZT716', ns('amb', 'istio.io/dataplane-mode: ambient'), pods.replace('kind: Service\nmetadata: {name: api, namespace: amb}', `kind: Service\nmetadata: {name: api, namespace: amb, labels: {${USE_WAYPOINT}}}`), waypoint('amb', 'istio.io/waypoint-for: all'), L4_WEB)).toEqual(['Deployment amb/api']);
  });

  test('no finding without a waypoint, without an ALLOW at ztunnel, or for pods that are not ambient', () => {
    expect(objects('ZT716', AMBIENT(), WAYPOINT, L4_WEB)).toEqual([]);
    expect(objects('ZT716', AMBIENT(USE_WAYPOINT), WAYPOINT, onApi('deny', `action: DENY, rules: [{from: [{source: {principals: [${WEB}]}}]}]`))).toEqual([]);
    expect(objects('ZT716', AMBIENT(USE_WAYPOINT), WAYPOINT, targetService('l7'))).toEqual([]);
    const sidecars = ns('amb', `istio-injection: enabled, ${USE_WAYPOINT}`);
    expect(objects('ZT716', sidecars, app('amb', 'api'), WAYPOINT, L4_WEB)).toEqual([]);
  });
});

describe('ZT717: targetRefs that attach to no waypoint or gateway', () => {
  test('a GatewayClass other than istio-waypoint', () => {
    expect(on('ZT717', AMBIENT(), ap('x', '{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio}]}', 'istio-system'))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy istio-system/x',
      message: 'AuthorizationPolicy istio-system/x targets GatewayClass istio; only the class istio-waypoint takes policies (every waypoint), so it applies nowhere.',
      fix: 'target GatewayClass istio-waypoint from the root namespace, or the Gateway itself.',
    }]);
  });

  test('the class istio-waypoint outside the root namespace', () => {
    expect(on('ZT717', AMBIENT(), ap('waypoint-default-deny', '{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio-waypoint}]}'))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy amb/waypoint-default-deny',
      message: 'AuthorizationPolicy amb/waypoint-default-deny targets GatewayClass istio-waypoint from namespace amb; such policies count only in the root namespace (istio-system), so it applies nowhere.',
      fix: 'move it to namespace istio-system.',
    }]);
    expect(objects('ZT717', AMBIENT(), ap('x', '{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio-waypoint}]}', 'istio-system'))).toEqual([]);
  });

  test('a Gateway that is not a Gateway API Gateway of the policy\'s namespace', () => {
    const toGateway = (name: string, namespace = 'amb') => ap('x', `{targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ${name}}]}`, namespace);
    expect(on('ZT717', AMBIENT(), WAYPOINT, toGateway('waypoint', 'shop'))).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x targets Gateway shop/waypoint, which is not a Gateway API Gateway of namespace shop (a targetRefs policy must live in its Gateway\'s namespace): it applies nowhere.',
      fix: 'name an existing Gateway of namespace shop, or move the policy to the Gateway\'s namespace.',
    }]);
    expect(objects('ZT717', AMBIENT(), WAYPOINT, toGateway('waypoint'))).toEqual([]);
    expect(objects('ZT717', AMBIENT(), waypoint('amb', 'istio.io/waypoint-for: service', '[{name: mesh, port: 15008, protocol: HBONE}]', 'other'), WAYPOINT, toGateway('waypoint'))).toEqual([]);
    expect(objects('ZT717', AMBIENT(), WAYPOINT, toGateway('waypoint2'))).toEqual(['AuthorizationPolicy amb/x']);
    // An Istio Gateway of that name is not one.
    expect(objects('ZT717', AMBIENT(), istio('Gateway', 'amb', 'waypoint', '{selector: {istio: ingressgateway}, servers: []}'), toGateway('waypoint'))).toEqual(['AuthorizationPolicy amb/x']);
    // A namespace the input does not show may hold it.
    expect(objects('ZT717', toGateway('waypoint', 'ghost'))).toEqual([]);
    expect(objects('ZT717', toGateway('waypoint', 'ghost'), istio('Gateway', 'ghost', 'other', '{selector: {istio: ingressgateway}, servers: []}'))).toEqual(['AuthorizationPolicy ghost/x']);
  });

  test('RequestAuthentications too; other groups and a namespace in the reference are not this check\'s', () => {
    expect(objects('ZT717', AMBIENT(), istio('RequestAuthentication', 'amb', 'jwt', '{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio}], jwtRules: [{issuer: "https://idp.example.com"}]}'))).toEqual(['RequestAuthentication amb/jwt']);
    expect(objects('ZT717', AMBIENT(), ap('x', '{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio, namespace: amb}, {group: example.com, kind: GatewayClass, name: istio}, {group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]}'))).toEqual([]);
  });
});

describe('ZT718: a waypoint L7 policy without a require-waypoint L4 policy', () => {
  const L7 = targetService('get-only');

  test('the finding: warning, on the Service, naming its waypoint, the policies and the open pods', () => {
    expect(on('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT, L7)).toEqual([{
      severity: 'warning', object: 'Service amb/api',
      message: 'Service amb/api is behind waypoint amb/waypoint, whose policies (amb/get-only) apply only to traffic that goes through it; its pods amb/api have no L4 ALLOW at ztunnel, so a caller dialling a pod IP, a sidecar caller or an ingress gateway without istio.io/ingress-use-waypoint reaches them without those policies.',
      fix: `add a selector ALLOW on the pods admitting only "cluster.local/ns/amb/sa/waypoint" (and the L4 peers that must bypass it), or set PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (${WAYPOINT_DOC}#require-waypoint).`,
    }]);
  });

  test('DENY policies count, on the waypoint\'s Gateway too; CUSTOM and AUDIT do not', () => {
    expect(objects('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT, targetService('deny', 'action: DENY, rules: [{to: [{operation: {methods: [POST]}}]}]'))).toEqual(['Service amb/api']);
    expect(objects('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT, ap('gw', '{targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}], rules: [{to: [{operation: {methods: [GET]}}]}]}'))).toEqual(['Service amb/api', 'Service amb/web']);
    expect(objects('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT, targetService('audit', 'action: AUDIT, rules: [{}]'), targetService('custom', 'action: CUSTOM, provider: {name: ext}, rules: [{}]'))).toEqual([]);
  });

  test('no finding with an ALLOW at ztunnel on the pods, without a waypoint, or for pods that are not ambient', () => {
    expect(objects('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT, L7, onApi('require-waypoint', 'rules: [{from: [{source: {principals: ["cluster.local/ns/amb/sa/waypoint"]}}]}]'))).toEqual([]);
    // A DENY at ztunnel does not close the bypass.
    expect(objects('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT, L7, onApi('deny', `action: DENY, rules: [{from: [{source: {principals: [${WEB}]}}]}]`))).toEqual(['Service amb/api']);
    expect(objects('ZT718', AMBIENT(), WAYPOINT, L7)).toEqual([]);
    expect(objects('ZT718', AMBIENT(USE_WAYPOINT), WAYPOINT)).toEqual([]);
    expect(objects('ZT718', ns('amb', `istio-injection: enabled, ${USE_WAYPOINT}`), app('amb', 'api'), WAYPOINT, L7)).toEqual([]);
  });
});
