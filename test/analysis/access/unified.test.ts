import { AccessSimulator } from '../../../analysis/access/simulator.js';
import { imports } from '../../../analysis/egress.js';
import { MeshModel } from '../../../analysis/model.js';
import { allows, podPeer, portOn } from '../../../analysis/network-policy.js';
import type { Manifest } from '../../../manifests/index.js';

/**
 * The simulator's `dropped` and `blocked` stages and the analyzer read NetworkPolicy and Sidecar
 * egress through one implementation (analysis/network-policy.ts, analysis/egress.ts): where one
 * decides, the other agrees.
 */

const ns = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'istio-injection': 'enabled' } } });
const app = (namespace: string, name: string, port?: number): Manifest[] => [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, image: `example/${name}:1`, ports: port ? [{ containerPort: port }] : [] }] } } },
  },
  ...(port ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort: port }] } } as Manifest] : []),
];
const netpol = (namespace: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
const base: Manifest[] = [ns('istio-system'), ns('foo'), ns('bar'), ...app('foo', 'httpbin', 8080), ...app('bar', 'sleep')];
const denyAll = netpol('foo', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] });
const modelOf = (extra: Manifest[]) => new MeshModel([...base, ...extra].map((manifest) => ({ manifest })));

async function check(extra: Manifest[], options = {}) {
  const model = modelOf(extra);
  const verdict = await new AccessSimulator(model, options).check({ from: { workload: 'bar/sleep' }, to: 'foo/httpbin', port: 8080 });
  const httpbin = model.workloads.find((w) => w.name === 'httpbin')!;
  const sleep = model.workloads.find((w) => w.name === 'sleep')!;
  return { verdict, analyzer: allows(model, httpbin, podPeer(sleep), portOn(httpbin, 8080), 'ingress'), imported: imports(model, sleep, model.services.find((s) => s.name === 'httpbin')!) };
}

describe('one reading of NetworkPolicy and Sidecar egress', () => {
  test('an ipBlock covering every address admits pods (Kubernetes applies ipBlock to pod IPs); one with except is undecided and not counted', async () => {
    const all = await check([denyAll, netpol('foo', 'anywhere', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })]);
    expect(all.analyzer).toBe(true);
    expect(all.verdict.outcome).toBe('allow');
    expect(all.verdict.reason).toContain('NetworkPolicy foo/anywhere ingress[0] admits 8080/TCP');
    const carved = await check([denyAll, netpol('foo', 'anywhere', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] })]);
    expect(carved.analyzer).toBeUndefined();
    expect(carved.verdict.outcome).toBe('dropped');
    expect(carved.verdict.reason).toContain('foo/anywhere ingress[0] would admit it only if an ipBlock covered the pod\'s IP');
  });

  test('a Sidecar with an empty egress list is Istio\'s default listener (*/*); a port-bound listener imports for its port only', async () => {
    const sidecar = (egress: unknown[]): Manifest => ({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'bar' }, spec: { egress, outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
    const empty = await check([sidecar([])]);
    expect(empty.imported).toBe(true);
    expect(empty.verdict.outcome).toBe('allow');
    const otherPort = await check([sidecar([{ port: { number: 9090, protocol: 'HTTP', name: 'http' }, hosts: ['foo/*'] }])]);
    expect(otherPort.verdict.outcome).toBe('blocked');
    expect(otherPort.verdict.reason).toContain('Sidecar bar/default of bar/sleep does not import httpbin.foo.svc.cluster.local');
    const samePort = await check([sidecar([{ port: { number: 8080, protocol: 'HTTP', name: 'http' }, hosts: ['foo/*'] }])]);
    expect(samePort.verdict.outcome).toBe('allow');
    expect(samePort.imported).toBe(true);
  });
});
