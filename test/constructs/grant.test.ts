import { Callers, JwtIssuer, JwtProtectedService, MeshWorkload, ServicePort } from '../../constructs/index.js';
import { newNamespace } from './util.js';

function setup() {
  const ns = newNamespace();
  const client = new MeshWorkload(ns, 'client', { image: 'curl:8' });
  const api = new JwtProtectedService(ns, 'api', {
    image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 })],
    issuers: [JwtIssuer.okta({ domain: 'corp.okta.com', audiences: ['x'] })],
  });
  return { client, api };
}

describe('Grant', () => {
  test('records callee, caller, container ports, methods, paths, end-user requirement and reason', () => {
    const { client, api } = setup();
    const grant = api.allowFrom(client, { ports: [8000], methods: ['GET'], paths: ['/a'], endUser: 'either', reason: 'why' });
    expect(grant).toMatchObject({
      callee: 'shop/api', targetPorts: [8080], methods: ['GET'], paths: ['/a'], endUser: 'either', reason: 'why',
    });
    expect(grant.caller).toEqual(client.toCallerIdentity());
    expect(grant.rules).toHaveLength(2);
  });

  test.each([
    [{}, 'from workload shop/client: with end-user token'],
    [{ endUser: 'none' as const }, 'from workload shop/client'],
    [{ endUser: 'either' as const, methods: ['GET', 'POST'] }, 'from workload shop/client: GET,POST or any end-user token'],
    [{ ports: [8000], paths: ['/a', '/b/*'], reason: 'r' }, 'from workload shop/client: /a,/b/* port 8080 with end-user token (r)'],
  ])('summary of %j', (options, summary) => {
    const { client, api } = setup();
    expect(api.allowFrom(client, options).summary).toBe(summary);
  });

  test('a caller not defined in this program, by ServiceAccount', () => {
    const { api } = setup();
    const grant = api.allowFrom(Callers.serviceAccount('batch', 'reporter'), { endUser: 'none' });
    expect(grant.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/batch/sa/reporter'] } }] }]);
    expect(grant.summary).toBe('from service account batch/reporter');
  });
});
