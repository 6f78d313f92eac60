import { MeshWorkload, ServicePort } from '../../constructs/index.js';
import { expectConfigError, find, newNamespace, synth } from './util.js';

function workloadWith(...ports: ServicePort[]): MeshWorkload {
  return new MeshWorkload(newNamespace(), 'api', { image: 'api:1', ports });
}

describe('ServicePort', () => {
  test('http: named "http", L7, target port defaults to the port', () => {
    const port = ServicePort.http(8080);
    expect(port).toMatchObject({ protocol: 'http', port: 8080, targetPort: 8080, name: 'http' });
    expect(port.isHttp).toBe(true);
  });

  test('grpc: named "grpc", L7', () => {
    const port = ServicePort.grpc(9090, { suffix: 'api' });
    expect(port).toMatchObject({ protocol: 'grpc', name: 'grpc-api' });
    expect(port.isHttp).toBe(true);
  });

  test('tcp: named "tcp-<suffix>", L4 only', () => {
    const port = ServicePort.tcp(3306, { suffix: 'mysql' });
    expect(port).toMatchObject({ protocol: 'tcp', port: 3306, targetPort: 3306, name: 'tcp-mysql' });
    expect(port.isHttp).toBe(false);
  });

  test('a target port distinct from the Service port', () => {
    expect(ServicePort.http(8000, { targetPort: 8080 })).toMatchObject({ port: 8000, targetPort: 8080 });
  });

  test('the Service and the container use the port name and numbers', () => {
    const workload = workloadWith(ServicePort.grpc(9090, { suffix: 'api', targetPort: 19090 }));
    const objects = synth(workload.namespace.mesh);
    expect(find(objects, 'Service', 'api').spec.ports).toEqual([{ name: 'grpc-api', port: 9090, targetPort: 19090, protocol: 'TCP' }]);
    expect(find(objects, 'Deployment', 'api').spec.template.spec.containers[0].ports).toEqual([{ name: 'grpc-api', containerPort: 19090, protocol: 'TCP' }]);
  });
});

describe('ServicePort validation in a workload', () => {
  test.each([0, 70000, 1.5, -80, 65536])('refuses port %s', (port) => {
    expectConfigError(() => workloadWith(ServicePort.http(port)), 'MeshWorkload "shop/api"', 'ports[0].port',
      new RegExp(`${String(port).replace('.', '\\.')} is not a valid port number\\. Fix: use an integer between 1 and 65535\\.`));
  });

  test.each([0, 70000, 1.5])('refuses targetPort %s', (targetPort) => {
    expectConfigError(() => workloadWith(ServicePort.http(8000, { targetPort })), 'MeshWorkload "shop/api"', 'ports[0].targetPort',
      /Fix: use an integer between 1 and 65535\./);
  });

  test('names the index of the bad port', () => {
    expectConfigError(() => workloadWith(ServicePort.http(80), ServicePort.tcp(0, { suffix: 'db' })), 'MeshWorkload "shop/api"', 'ports[1].port',
      /Fix: use an integer between 1 and 65535/);
  });

  test.each([1, 65535])('accepts the edge port %s', (port) => {
    expect(() => workloadWith(ServicePort.http(port))).not.toThrow();
  });

  test('refuses a duplicate port', () => {
    expectConfigError(() => workloadWith(ServicePort.http(8080), ServicePort.tcp(8080, { suffix: 'raw' })), 'MeshWorkload "shop/api"',
      'ports[1].port', /port 8080 is declared twice\. Fix: declare each Service port once\./);
  });

  test('refuses a duplicate port name', () => {
    expectConfigError(() => workloadWith(ServicePort.http(8080), ServicePort.http(9090)), 'MeshWorkload "shop/api"',
      'ports[1].suffix', /port name "http" is used twice\. Fix: give the ports distinct suffixes/);
  });

  test('accepts two target ports behind distinct Service ports', () => {
    expect(() => workloadWith(ServicePort.http(80, { targetPort: 8080 }), ServicePort.http(8080, { suffix: 'alt', targetPort: 8081 }))).not.toThrow();
  });

  test.each(['metrics-endpoint', 'Admin', 'a--b', 'x_'])('refuses the suffix %s (port name not an IANA service name)', (suffix) => {
    expectConfigError(() => workloadWith(ServicePort.http(8080, { suffix })), 'MeshWorkload "shop/api"', 'ports[0].suffix',
      /is not a valid IANA service name.*Fix: use a shorter suffix/);
  });
});
