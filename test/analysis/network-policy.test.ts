// NetworkPolicy semantics (analysis/network-policy.ts) and the Sidecar egress scope
// (analysis/egress.ts), on small inputs.
import { importsHost, outboundPolicy, sidecarFor } from '../../analysis/egress.js';
import { MeshModel, type MeshOptions, parseManifests, type Workload } from '../../analysis/index.js';
import {
  admits, allows, cidrContains, connection, isolated, istiodPeers, kubeDnsPeers, networkPolicies, parseNetworkPolicy,
  type Peer, podPeer, portOn, selects,
} from '../../analysis/network-policy.js';
import { app, istio, join, ns } from './fixtures.js';

const np = (name: string, spec: string, namespace = 'shop') => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${spec}\n`;
const MESH = join(ns('shop', 'istio-injection: enabled, team: a'), ns('edge', 'istio-injection: enabled, team: b'), app('shop', 'api'), app('shop', 'web'), app('edge', 'proxy'));

function model(yaml: string, options: MeshOptions = {}): MeshModel {
  return new MeshModel(parseManifests(yaml, 'case.yaml').objects, options);
}
const workload = (m: MeshModel, namespace: string, name: string): Workload => m.workloads.find((w) => w.namespace === namespace && w.name === name)!;
const only = (m: MeshModel) => networkPolicies(m)[0]!;
const pod = (p: Peer) => (p.kind === 'pod' ? p : { containerPorts: [] });

describe('parsing and isolation', () => {
  test('policyTypes default: Ingress always, Egress when there are egress rules', () => {
    const m = model(join(MESH, np('a', '{podSelector: {}}'), np('b', '{podSelector: {}, egress: [{}]}'), np('c', '{podSelector: {}, egress: []}'), np('d', '{podSelector: {}, policyTypes: [Egress]}')));
    expect(networkPolicies(m).map((p) => [p.object.name, p.policyTypes])).toEqual([
      ['a', ['ingress']], ['b', ['ingress', 'egress']], ['c', ['ingress']], ['d', ['egress']],
    ]);
  });

  test('a policy isolates the pods its podSelector picks, in its own namespace, per direction', () => {
    const m = model(join(MESH, np('api', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Ingress]}')));
    expect(isolated(m, workload(m, 'shop', 'api'), 'ingress')).toBe(true);
    expect(isolated(m, workload(m, 'shop', 'api'), 'egress')).toBe(false);
    expect(isolated(m, workload(m, 'shop', 'web'), 'ingress')).toBe(false);
    expect(isolated(m, workload(m, 'edge', 'proxy'), 'ingress')).toBe(false);
  });

  test('only networking.k8s.io policies count', () => {
    const m = model(join(MESH, np('x', '{podSelector: {}}').replace('networking.k8s.io/v1', 'crd.projectcalico.org/v1')));
    expect(networkPolicies(m)).toEqual([]);
  });

  test('odd input is read without throwing', () => {
    const m = model(join(MESH, np('x', '{podSelector: 3, policyTypes: "Ingress", ingress: [{from: [{}, 7], ports: [{port: [1]}]}]}')));
    const p = parseNetworkPolicy(m.ofKind('NetworkPolicy')[0]!);
    expect(p.policyTypes).toEqual(['ingress']);
    expect(p.ingress[0]!.peers).toEqual([]); // an empty peer admits no one
  });
});

describe('selectors', () => {
  test('matchLabels and every matchExpressions operator', () => {
    const labels = { app: 'api', tier: 'back' };
    const sel = (e: string) => parseNetworkPolicy(model(np('x', `{podSelector: ${e}}`)).ofKind('NetworkPolicy')[0]!).podSelector;
    expect(selects(sel('{}'), labels)).toBe(true);
    expect(selects(sel('{matchLabels: {app: api}}'), labels)).toBe(true);
    expect(selects(sel('{matchLabels: {app: web}}'), labels)).toBe(false);
    expect(selects(sel('{matchExpressions: [{key: tier, operator: In, values: [back, mid]}]}'), labels)).toBe(true);
    expect(selects(sel('{matchExpressions: [{key: tier, operator: NotIn, values: [back]}]}'), labels)).toBe(false);
    expect(selects(sel('{matchExpressions: [{key: zone, operator: NotIn, values: [x]}]}'), labels)).toBe(true);
    expect(selects(sel('{matchExpressions: [{key: app, operator: Exists}]}'), labels)).toBe(true);
    expect(selects(sel('{matchExpressions: [{key: app, operator: DoesNotExist}]}'), labels)).toBe(false);
    expect(selects(sel('{matchExpressions: [{key: app, operator: Equals, values: [api]}]}'), labels)).toBe(false);
  });

  test('with partly known labels, only known keys can refuse', () => {
    const p = parseNetworkPolicy(model(np('x', '{podSelector: {matchLabels: {app: api, team: a}}}')).ofKind('NetworkPolicy')[0]!);
    expect(selects(p.podSelector, { app: 'api' }, false)).toBe(true);
    expect(selects(p.podSelector, { app: 'web' }, false)).toBe(false);
    expect(selects(p.podSelector, { app: 'api' }, true)).toBe(false);
  });
});

describe('admission', () => {
  const ingress = (rules: string) => np('in', `{podSelector: {matchLabels: {app: api}}, ingress: ${rules}}`);

  test('a podSelector peer is the policy\'s own namespace; a namespaceSelector picks namespaces by their labels', () => {
    const m = model(join(MESH, ingress('[{from: [{podSelector: {}}]}]'), np('in2', '{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: b}}}]}]}')));
    const api = workload(m, 'shop', 'api');
    const web = workload(m, 'shop', 'web');
    const proxy = workload(m, 'edge', 'proxy');
    expect(allows(m, api, podPeer(web), portOn(api, 8080), 'ingress')).toBe(true);
    expect(allows(m, api, podPeer(proxy), portOn(api, 8080), 'ingress')).toBe(false);
    expect(allows(m, web, podPeer(proxy), portOn(web, 8080), 'ingress')).toBe(true);
    expect(allows(m, web, podPeer(api), portOn(web, 8080), 'ingress')).toBe(false);
  });

  test('namespaceSelector and podSelector together: both must hold', () => {
    const m = model(join(MESH, ingress('[{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: edge}}, podSelector: {matchLabels: {app: proxy}}}]}]')));
    const api = workload(m, 'shop', 'api');
    expect(allows(m, api, podPeer(workload(m, 'edge', 'proxy')), portOn(api, 8080), 'ingress')).toBe(true);
    expect(allows(m, api, podPeer(workload(m, 'shop', 'web')), portOn(api, 8080), 'ingress')).toBe(false);
  });

  test('ports: protocol (TCP by default), numbers, named container ports, ranges; no ports means all', () => {
    const m = model(join(MESH, ingress('[{ports: [{port: http}]}]')));
    const api = workload(m, 'shop', 'api');
    const web = podPeer(workload(m, 'shop', 'web'));
    const p = only(m);
    expect(admits(m, p, web, portOn(api, 8080), 'ingress')).toBe(true); // named "http" on api
    expect(admits(m, p, web, { port: 8080 }, 'ingress')).toBe(false); // the name is unknown
    const range = model(join(MESH, ingress('[{ports: [{port: 8000, endPort: 8100}, {protocol: UDP, port: 53}]}]')));
    const rp = only(range);
    expect(admits(range, rp, web, { port: 8080 }, 'ingress')).toBe(true);
    expect(admits(range, rp, web, { port: 8101 }, 'ingress')).toBe(false);
    expect(admits(range, rp, web, { port: 53 }, 'ingress')).toBe(false);
    expect(admits(range, rp, web, { port: 53, protocol: 'UDP' }, 'ingress')).toBe(true);
    const all = model(join(MESH, ingress('[{from: [{podSelector: {}}]}]')));
    expect(admits(all, only(all), web, { port: 1 }, 'ingress')).toBe(true);
  });

  test('a policy admits nothing in a direction it does not govern, and a rule-less direction admits nothing', () => {
    const m = model(join(MESH, np('deny', '{podSelector: {}, policyTypes: [Ingress, Egress]}')));
    const api = workload(m, 'shop', 'api');
    const web = workload(m, 'shop', 'web');
    expect(connection(m, web, api, portOn(api, 8080))).toEqual({ egress: false, ingress: false });
    const ingressOnly = model(join(MESH, np('x', '{podSelector: {}, ingress: [{}]}')));
    expect(admits(ingressOnly, only(ingressOnly), podPeer(web), { port: 1 }, 'egress')).toBe(false);
    expect(allows(ingressOnly, web, podPeer(api), { port: 1 }, 'egress')).toBe(true); // not isolated
  });

  test('ipBlock: exact for addresses, with except; unknown for pods unless it covers everything', () => {
    const m = model(join(MESH, ingress('[{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]')));
    const api = workload(m, 'shop', 'api');
    const p = only(m);
    const ip = (a: string): Peer => ({ kind: 'ip', ip: a });
    expect(admits(m, p, ip('10.2.3.4'), { port: 8080 }, 'ingress')).toBe(true);
    expect(admits(m, p, ip('10.1.3.4'), { port: 8080 }, 'ingress')).toBe(false);
    expect(admits(m, p, ip('192.168.0.1'), { port: 8080 }, 'ingress')).toBe(false);
    expect(admits(m, p, podPeer(workload(m, 'shop', 'web')), portOn(api, 8080), 'ingress')).toBeUndefined();
    const world = model(join(MESH, ingress('[{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]')));
    expect(admits(world, only(world), podPeer(workload(world, 'shop', 'web')), { port: 8080 }, 'ingress')).toBe(true);
    expect(cidrContains('169.254.7.127/32', '169.254.7.127')).toBe(true);
    expect(cidrContains('fd00::/8', 'fd00::1')).toBeUndefined();
  });

  test('istiod and kube-dns when they are not in the input: known labels only, an undeclared namespace\'s labels unknown', () => {
    const m = model(join(MESH,
      np('a', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {team: platform}}}]}]}'),
      np('b', '{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: dns, protocol: UDP}]}]}')));
    const istiod = istiodPeers(m)[0]!;
    const dns = kubeDnsPeers(m)[0]!;
    const api = workload(m, 'shop', 'api');
    const web = workload(m, 'shop', 'web');
    // istio-system is not declared: a selector on another of its labels may hold.
    expect(allows(m, api, istiod, portOn(pod(istiod), 15012), 'egress')).toBe(true);
    expect(allows(m, web, dns, portOn(pod(dns), 53, 'UDP'), 'egress')).toBe(true);
    expect(allows(m, web, istiod, portOn(pod(istiod), 15012), 'egress')).toBe(false);
  });

  test('istiod pods in the input are used as they are', () => {
    const m = model(join(MESH, app('istio-system', 'istiod', { port: 15012, portName: 'grpc-xds' })));
    expect(istiodPeers(m).map((p) => (p.kind === 'pod' ? p.description : p.ip))).toEqual(['Deployment istio-system/istiod']);
  });
});

describe('Sidecar egress scope', () => {
  test('host import: namespace part and DNS wildcards', () => {
    const fqdn = 'api.shop.svc.cluster.local';
    expect(importsHost('*/*', 'edge', 'shop', fqdn)).toBe(true);
    expect(importsHost('./*', 'shop', 'shop', fqdn)).toBe(true);
    expect(importsHost('./*', 'edge', 'shop', fqdn)).toBe(false);
    expect(importsHost('shop/*.svc.cluster.local', 'edge', 'shop', fqdn)).toBe(true);
    expect(importsHost('shop/api.shop.svc.cluster.local', 'edge', 'shop', fqdn)).toBe(true);
    expect(importsHost('shop/web.shop.svc.cluster.local', 'edge', 'shop', fqdn)).toBe(false);
    expect(importsHost('~/*', 'shop', 'shop', fqdn)).toBe(false);
    expect(importsHost('*', 'shop', 'shop', fqdn)).toBe(false);
  });

  test('selection: workload selector, then namespace, then root; the outbound policy falls back to the mesh', () => {
    const m = model(join(MESH,
      istio('Sidecar', 'istio-system', 'default', '{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}'),
      istio('Sidecar', 'shop', 'default', '{egress: [{hosts: ["./*"]}]}'),
      istio('Sidecar', 'shop', 'api', '{workloadSelector: {labels: {app: api}}, outboundTrafficPolicy: {mode: ALLOW_ANY}}')), { outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect(sidecarFor(m, workload(m, 'shop', 'api'))?.name).toBe('api');
    expect(sidecarFor(m, workload(m, 'shop', 'web'))?.name).toBe('default');
    expect(sidecarFor(m, workload(m, 'shop', 'web'))?.namespace).toBe('shop');
    expect(sidecarFor(m, workload(m, 'edge', 'proxy'))?.namespace).toBe('istio-system');
    expect(outboundPolicy(m, workload(m, 'shop', 'api'))).toMatchObject({ mode: 'ALLOW_ANY', source: 'sidecar' });
    expect(outboundPolicy(m, workload(m, 'shop', 'web'))).toMatchObject({ mode: 'REGISTRY_ONLY', source: 'mesh' });
    expect(outboundPolicy(m, workload(m, 'edge', 'proxy'))).toMatchObject({ mode: 'REGISTRY_ONLY', source: 'sidecar' });
    expect(outboundPolicy(model(MESH), workload(model(MESH), 'shop', 'api'))).toMatchObject({ mode: 'ALLOW_ANY', source: 'default' });
  });
});
