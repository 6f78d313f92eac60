import { MeshWorkload, Probe, ServicePort } from '../../constructs/index.js';
import { expectConfigError, find, newNamespace, synth } from './util.js';

const SELF = 'MeshWorkload "shop/api"';
const PORTS = [ServicePort.tcp(5432, { suffix: 'db' }), ServicePort.http(8000, { targetPort: 8080 }), ServicePort.http(9000, { targetPort: 9090, suffix: 'admin' })];

function container(props: ConstructorParameters<typeof MeshWorkload>[2]) {
  const ns = newNamespace();
  new MeshWorkload(ns, 'api', props);
  return find(synth(ns.mesh), 'Deployment', 'api').spec.template.spec.containers[0];
}

describe('Probe', () => {
  test('HTTP: the first HTTP port by default, written with its container port', () => {
    const c = container({ image: 'example/api:1', ports: PORTS, readiness: Probe.http('/ready') });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 8080 } });
  });

  test('HTTP on a named Service port, with timing', () => {
    const c = container({ image: 'example/api:1', ports: PORTS, liveness: Probe.http('/live', { port: 9000, periodSeconds: 20, failureThreshold: 5, timeoutSeconds: 2, initialDelaySeconds: 0 }) });
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/live', port: 9090 }, initialDelaySeconds: 0, periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 5 });
  });

  test('TCP: the first port by default; exec runs a command; startup alongside', () => {
    const c = container({ image: 'example/api:1', ports: PORTS, readiness: Probe.tcp(), startup: Probe.exec(['pg_isready'], { failureThreshold: 30 }) });
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 5432 } });
    expect(c.startupProbe).toEqual({ exec: { command: ['pg_isready'] }, failureThreshold: 30 });
    expect(c.livenessProbe).toBeUndefined();
  });

  test.each<[string, Probe, string, RegExp]>([
    ['a path without "/"', Probe.http('ready'), 'readiness.path', /"\/healthz"/],
    ['a port the Service lacks', Probe.http('/ready', { port: 1234 }), 'readiness.port', /1234 is not a port of this workload's Service \(it has 5432, 8000, 9000\)/],
    ['an HTTP probe of a TCP port', Probe.http('/ready', { port: 5432 }), 'readiness.port', /Probe.tcp/],
    ['an empty command', Probe.exec([]), 'readiness.command', /is empty/],
    ['a zero period', Probe.tcp({ periodSeconds: 0 }), 'readiness.periodSeconds', /at least 1/],
    ['a negative delay', Probe.tcp({ initialDelaySeconds: -1 }), 'readiness.initialDelaySeconds', /at least 0/],
  ])('refuses %s', (_, probe, field, message) => {
    expectConfigError(() => container({ image: 'example/api:1', ports: PORTS, readiness: probe }), SELF, field, message);
  });

  test('refuses a port probe on a workload without ports', () => {
    expectConfigError(() => container({ image: 'example/api:1', readiness: Probe.tcp() }), SELF, 'readiness.port', /Probe.exec/);
  });
});
