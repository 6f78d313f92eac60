import { ApiObject, JsonPatch } from 'cdk8s';
import {
  Callers, Dataplane, EgressGateway, EnvValue, ExternalHost, IngressGateway, JwtIssuer, JwtProtectedService, MeshIngress, MeshWorkload, MeshWorkloadProps, MtlsMode, ServicePort,
  Waypoint, ZeroTrustNamespace,
} from '../../constructs/index.js';
import { expectConfigError, find, findAll, newMesh, newNamespace, synth } from './util.js';

const OPEN_ACK = 'zero-trust-mesh.io/acknowledged-open-to-anyone';

function workload(ns: ZeroTrustNamespace, name: string, props: Partial<MeshWorkloadProps> = {}): MeshWorkload {
  return new MeshWorkload(ns, name, { image: `registry.example.com/${name}:1.0`, ...props });
}

/** A namespace `shop` with `api` (HTTP 8000 → 8080) and a `client`. */
function shop(meshProps: Parameters<typeof newNamespace>[0] = {}, nsProps: Parameters<typeof newNamespace>[1] = {}) {
  const ns = newNamespace(meshProps, nsProps);
  const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 })] });
  const client = workload(ns, 'client');
  return { ns, mesh: ns.mesh, api, client };
}

describe('MeshWorkload objects', () => {
  test('a ServiceAccount named after the workload, without API token', () => {
    const { mesh } = shop();
    const sa = find(synth(mesh), 'ServiceAccount', 'api', 'shop');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(sa.metadata.labels).toEqual({ app: 'api' });
  });

  test('a custom serviceAccountName names the ServiceAccount, the pod identity and the principal', () => {
    const ns = newNamespace();
    const api = workload(ns, 'api', { serviceAccountName: 'api-reader' });
    const objects = synth(ns.mesh);
    expect(find(objects, 'ServiceAccount', 'api-reader', 'shop')).toBeDefined();
    expect(findAll(objects, 'ServiceAccount', 'api')).toHaveLength(0);
    expect(find(objects, 'Deployment', 'api', 'shop').spec.template.spec.serviceAccountName).toBe('api-reader');
    expect(api.principal).toBe('cluster.local/ns/shop/sa/api-reader');
  });

  test('the Deployment runs as its ServiceAccount, non-root, read-only, with no capabilities', () => {
    const { mesh } = shop();
    const deployment = find(synth(mesh), 'Deployment', 'api', 'shop');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(pod.serviceAccountName).toBe('api');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });
    expect(container.image).toBe('registry.example.com/api:1.0');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector.matchLabels).toEqual({ app: 'api' });
  });

  test('pods get a sidecar: no injection label unless sidecar is false', () => {
    const ns = newNamespace();
    workload(ns, 'api');
    workload(ns, 'legacy', { sidecar: false });
    const objects = synth(ns.mesh);
    expect(find(objects, 'Deployment', 'api').spec.template.metadata.labels).toEqual({ app: 'api', version: 'v1' });
    expect(find(objects, 'Deployment', 'legacy').spec.template.metadata.labels).toEqual({
      app: 'legacy', version: 'v1', 'sidecar.istio.io/inject': 'false',
    });
  });

  test('security settings, version, replicas, command and writable paths are honoured', () => {
    const ns = newNamespace();
    workload(ns, 'db', {
      securityContext: { runAsUser: 999, runAsGroup: 998, readOnlyRootFilesystem: false },
      version: '8.4', replicas: 3, command: ['/bin/db'], args: ['--serve'],
      writablePaths: ['/var/lib/db', '/tmp'],
    });
    const deployment = find(synth(ns.mesh), 'Deployment', 'db');
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.metadata.labels).toEqual({ app: 'db', version: '8.4' });
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 998, fsGroup: 998 });
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(pod.containers[0].command).toEqual(['/bin/db']);
    expect(pod.containers[0].args).toEqual(['--serve']);
    expect(pod.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/var/lib/db', '/tmp']);
    expect(pod.volumes.every((v: { emptyDir?: object }) => v.emptyDir !== undefined)).toBe(true);
    expect(pod.volumes).toHaveLength(2);
  });

  test('the Service names its ports by protocol and forwards to the target port', () => {
    const ns = newNamespace();
    workload(ns, 'db', { ports: [ServicePort.http(8000, { targetPort: 8080 }), ServicePort.tcp(3306, { suffix: 'mysql' })] });
    const service = find(synth(ns.mesh), 'Service', 'db', 'shop');
    expect(service.spec.selector).toEqual({ app: 'db' });
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 8000, targetPort: 8080, protocol: 'TCP' },
      { name: 'tcp-mysql', port: 3306, targetPort: 3306, protocol: 'TCP' },
    ]);
  });

  test('no Service when the workload has no ports', () => {
    const ns = newNamespace();
    workload(ns, 'client');
    const objects = synth(ns.mesh);
    expect(findAll(objects, 'Service')).toHaveLength(0);
    expect(find(objects, 'Deployment', 'client').spec.template.spec.containers[0].ports).toBeUndefined();
  });

  test('a secret env var is a secretKeyRef and its name never carries a value', () => {
    const ns = newNamespace();
    workload(ns, 'db', {
      env: { DB_PASSWORD: EnvValue.fromSecretKey('db-credentials', 'password'), LOG_LEVEL: EnvValue.fromValue('debug') },
    });
    const objects = synth(ns.mesh);
    const env = find(objects, 'Deployment', 'db').spec.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    expect(env[0].value).toBeUndefined();
    expect(findAll(objects, 'Secret')).toHaveLength(0);
  });

  test('renders the props as they were checked: changing them afterwards changes nothing', () => {
    const ns = newNamespace();
    const env: Record<string, EnvValue> = { DB_PASSWORD: EnvValue.fromSecretKey('db-credentials', 'password') };
    const command = ['serve'];
    const resources = { requests: { cpu: '100m' } };
    workload(ns, 'db', { env, command, resources });
    const before = find(synth(ns.mesh), 'Deployment', 'db');
    env.DB_PASSWORD = EnvValue.fromValue('hunter2'); // would have been refused at construction
    command.push('--debug');
    resources.requests.cpu = '4';
    expect(find(synth(ns.mesh), 'Deployment', 'db')).toStrictEqual(before);
    expect(JSON.stringify(synth(ns.mesh))).not.toContain('hunter2');
  });

  test('exposes its identity', () => {
    const { api } = shop();
    expect(api.name).toBe('api');
    expect(api.principal).toBe('cluster.local/ns/shop/sa/api');
    expect(api.spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/api');
    expect(api.selector).toEqual({ app: 'api' });
    expect(api.toCallerIdentity()).toEqual({
      kind: 'workloads', identities: [{ namespace: 'shop', serviceAccount: 'api' }], hasSidecar: true, description: 'workload shop/api',
    });
  });
});

describe('MeshWorkload grants', () => {
  test('no grants: no AuthorizationPolicy for the workload, only the namespace allow-nothing', () => {
    const { mesh } = shop();
    const policies = findAll(synth(mesh), 'AuthorizationPolicy');
    expect(policies).toHaveLength(1);
    expect(policies[0]!.metadata.name).toBe('allow-nothing');
    expect(policies[0]!.spec).toEqual({});
  });

  test('a workload grant allows its principal, and asks for no request principal', () => {
    const { mesh, api, client } = shop();
    const grant = api.allowFrom(client);
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api', 'shop');
    expect(policy.spec.action).toBe('ALLOW');
    expect(policy.spec.selector.matchLabels).toEqual({ app: 'api' });
    expect(policy.spec.rules).toHaveLength(1);
    const source = policy.spec.rules[0].from[0].source;
    expect(source.principals).toEqual(['cluster.local/ns/shop/sa/client']);
    expect(source.requestPrincipals).toBeUndefined();
    expect(policy.spec.rules[0].to).toBeUndefined();
    expect(policy.spec.rules[0].when).toBeUndefined();
    expect(grant.endUser).toBe('none');
    expect(grant.callee).toBe('shop/api');
    expect(grant.targetPorts).toEqual([]);
  });

  test('the selector names the workload, whatever its ServiceAccount', () => {
    const ns = newNamespace();
    const api = workload(ns, 'catalog', { serviceAccountName: 'catalog-sa', ports: [ServicePort.http(80)] });
    api.allowFrom(Callers.serviceAccount('other', 'robot'));
    const policy = find(synth(ns.mesh), 'AuthorizationPolicy', 'catalog', 'shop');
    expect(policy.spec.selector.matchLabels.app).toBe('catalog');
    expect(policy.spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/other/sa/robot']);
  });

  test('ports are written as the container port (targetPort), as strings', () => {
    const { mesh, api, client } = shop();
    const grant = api.allowFrom(client, { ports: [8000] });
    expect(grant.targetPorts).toEqual([8080]);
    const rule = find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0];
    expect(rule.to).toEqual([{ operation: { ports: ['8080'] } }]);
  });

  test('methods and paths are written into the operation', () => {
    const { mesh, api, client } = shop();
    api.allowFrom(client, { methods: ['GET', 'HEAD'], paths: ['/products', '/products/*'] });
    const rule = find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0];
    expect(rule.to).toEqual([{ operation: { methods: ['GET', 'HEAD'], paths: ['/products', '/products/*'] } }]);
  });

  test('Callers.anyAuthenticatedWorkload() is principals ["*"]', () => {
    const { mesh, api } = shop();
    api.allowFrom(Callers.anyAuthenticatedWorkload());
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules).toEqual([{ from: [{ source: { principals: ['*'] } }] }]);
  });

  test('a ZeroTrustNamespace caller is matched by namespace', () => {
    const { mesh, api } = shop();
    const frontend = new ZeroTrustNamespace(mesh, 'frontend');
    api.allowFrom(frontend);
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules).toEqual([{ from: [{ source: { namespaces: ['frontend'] } }] }]);
  });

  test('the ingress gateway as caller is its ServiceAccount principal', () => {
    const { mesh, api } = shop();
    api.allowFrom(IngressGateway.istioctl());
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules[0].from[0].source.principals)
      .toEqual(['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account']);
  });

  test('granting the same thing twice yields one rule and the same Grant', () => {
    const { mesh, api, client } = shop();
    const first = api.allowFrom(client, { methods: ['GET'] });
    const second = api.allowFrom(client, { methods: ['GET'] });
    expect(second).toBe(first);
    expect(api.grants).toEqual([first]);
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules).toHaveLength(1);
  });

  test('different grants land, in order, in one policy', () => {
    const { mesh, api, client, ns } = shop();
    const other = workload(ns, 'other');
    api.allowFrom(client, { methods: ['GET'] });
    api.allowFrom(client, { methods: ['POST'] });
    api.allowFrom(other);
    const policies = findAll(synth(mesh), 'AuthorizationPolicy', 'api');
    expect(policies).toHaveLength(1);
    const rules = policies[0]!.spec.rules;
    expect(rules).toHaveLength(3);
    expect(rules[0].to[0].operation.methods).toEqual(['GET']);
    expect(rules[1].to[0].operation.methods).toEqual(['POST']);
    expect(rules[2].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/other']);
    expect(api.grants).toHaveLength(3);
  });

  test('the policy records each rule and its reason for reviewers', () => {
    const { mesh, api, client } = shop();
    api.allowFrom(client, { methods: ['GET'], reason: 'reads the catalogue' });
    api.allowFrom(Callers.anyAuthenticatedWorkload(), { ports: [8000] });
    const annotation = find(synth(mesh), 'AuthorizationPolicy', 'api').metadata.annotations!['zero-trust-mesh.io/grants'];
    expect(annotation).toBe('rule[0] from workload shop/client: GET (reads the catalogue)\nrule[1] from any authenticated mesh workload: port 8080');
  });

  test('Callers.anyone() is a rule without source', () => {
    const { mesh, api } = shop();
    api.allowFrom(Callers.anyone());
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api');
    expect(policy.spec.rules).toEqual([{}]);
    expect(policy.metadata.annotations![OPEN_ACK]).toBe('permitted by stage dev (no reason given in acknowledgements.openToAnyone)');
    // Its NetworkPolicy admits every address; any authenticated workload only pods of the cluster.
    const PORTS = [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 15008 }];
    expect(find(synth(mesh), 'NetworkPolicy', 'api', 'shop').spec.ingress).toEqual([{ ports: PORTS }]);
    const { mesh: other, api: inCluster } = shop();
    inCluster.allowFrom(Callers.anyAuthenticatedWorkload());
    expect(find(synth(other), 'NetworkPolicy', 'api', 'shop').spec.ingress).toEqual([{ from: [{ namespaceSelector: {} }], ports: PORTS }]);
  });

  test('a namespace this mesh does not define may be granted: only the callee\'s side is written', () => {
    for (const dataplane of [Dataplane.SIDECAR, Dataplane.AMBIENT]) {
      const ns = newNamespace({ dataplane });
      const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 })] });
      api.allowFrom({ toCallerIdentity: () => ({ kind: 'namespaces', namespaces: ['legacy'], description: 'namespace legacy' }) });
      const objects = synth(ns.mesh);
      const [rule] = find(objects, 'NetworkPolicy', 'api', 'shop').spec.ingress;
      expect(rule.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'legacy' } } }]);
      expect(rule.ports).toContainEqual({ protocol: 'TCP', port: 8080 });
      expect(findAll(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === 'legacy')).toEqual([]);
    }
    // An L7 grant in ambient mode goes through the waypoint; only this mesh's namespaces get an egress rule to it.
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT });
    const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 })] });
    api.allowFrom({ toCallerIdentity: () => ({ kind: 'namespaces', namespaces: ['legacy'], description: 'namespace legacy' }) }, { methods: ['GET'] });
    expect(find(synth(ns.mesh), 'AuthorizationPolicy', 'api', 'shop').spec.rules).toEqual([{ from: [{ source: { namespaces: ['legacy'] } }], to: [{ operation: { methods: ['GET'] } }] }]);
  });
});

describe('MeshWorkload validation', () => {
  test.each(['Products', 'my_app', 'api.v1', 'x-'])('refuses the workload name %s', (name) => {
    const ns = newNamespace();
    expectConfigError(() => workload(ns, name), `MeshWorkload "shop/${name}"`, 'name', /not a valid DNS-1123 label.*Fix: use a name like "/);
  });

  test('suggests a valid name', () => {
    expectConfigError(() => workload(newNamespace(), 'My_App'), 'MeshWorkload "shop/My_App"', 'name', /Fix: use a name like "my-app"\./);
  });

  test('refuses an invalid serviceAccountName', () => {
    expectConfigError(() => workload(newNamespace(), 'api', { serviceAccountName: 'API_SA' }), 'MeshWorkload "shop/api"', 'serviceAccountName', /Fix: use a name like "api-sa"/);
  });

  test('refuses two workloads sharing a serviceAccountName', () => {
    const ns = newNamespace();
    workload(ns, 'reader', { serviceAccountName: 'shared' });
    expectConfigError(() => workload(ns, 'writer', { serviceAccountName: 'shared' }), 'MeshWorkload "shop/writer"', 'serviceAccountName',
      /ServiceAccount "shared" is already used.*Fix: give each workload its own ServiceAccount/);
  });

  test('refuses a workload whose default ServiceAccount another workload already claimed', () => {
    const ns = newNamespace();
    workload(ns, 'reader', { serviceAccountName: 'writer' });
    expectConfigError(() => workload(ns, 'writer'), 'MeshWorkload "shop/writer"', 'serviceAccountName', /Fix: give each workload its own ServiceAccount/);
  });

  test('the same workload name in two namespaces is fine', () => {
    const mesh = newMesh();
    workload(new ZeroTrustNamespace(mesh, 'a'), 'api');
    expect(() => workload(new ZeroTrustNamespace(mesh, 'b'), 'api')).not.toThrow();
  });

  test('refuses runAsUser 1337, the sidecar UID', () => {
    expectConfigError(() => workload(newNamespace(), 'api', { securityContext: { runAsUser: 1337 } }), 'MeshWorkload "shop/api"',
      'securityContext.runAsUser', /sidecar proxy's UID.*Fix: run the app as another UID, e\.g\. 65532/);
  });

  test.each([
    ['runAsUser', 0], ['runAsGroup', -1], ['fsGroup', 1.5],
  ] as const)('refuses %s %s', (field, value) => {
    expectConfigError(() => workload(newNamespace(), 'api', { securityContext: { [field]: value } }), 'MeshWorkload "shop/api"',
      `securityContext.${field}`, /Fix: use a positive integer/);
  });

  test.each(['DB_PASSWORD', 'api_key', 'GITHUB_TOKEN', 'CLIENT_SECRET', 'AWS_CREDENTIALS', 'TLS_PRIVATE_KEY'])(
    'refuses a literal value for the secret-looking env var %s', (name) => {
      expectConfigError(() => workload(newNamespace(), 'api', { env: { [name]: EnvValue.fromValue('hunter2') } }), 'MeshWorkload "shop/api"',
        `env.${name}`, /looks like a secret.*Fix: reference a Secret instead: EnvValue\.fromSecretKey\("api-credentials", /);
    });

  test('the fix names the secret key to use', () => {
    expectConfigError(() => workload(newNamespace(), 'api', { env: { DB_PASSWORD: EnvValue.fromValue('x') } }), 'MeshWorkload "shop/api"',
      'env.DB_PASSWORD', /Fix: reference a Secret instead: EnvValue\.fromSecretKey\("api-credentials", "db-password"\)\./);
  });

  test('accepts a secret-looking env var from a Secret, and a plain literal', () => {
    expect(() => workload(newNamespace(), 'api', {
      env: { DB_PASSWORD: EnvValue.fromSecretKey('api-credentials', 'db-password'), LOG_LEVEL: EnvValue.fromValue('info') },
    })).not.toThrow();
  });

  test('refuses an invalid env var name', () => {
    expectConfigError(() => workload(newNamespace(), 'api', { env: { '1BAD': EnvValue.fromValue('x') } }), 'MeshWorkload "shop/api"', 'env.1BAD', /Fix: use letters, digits and "_"/);
  });

  test.each(['', 'nginx latest'])('refuses the image %j', (image) => {
    expectConfigError(() => new MeshWorkload(newNamespace(), 'api', { image }), 'MeshWorkload "shop/api"', 'image', /Fix: give an image with a tag or digest/);
  });

  test.each([-1, 1.5])('refuses replicas %s', (replicas) => {
    expectConfigError(() => workload(newNamespace(), 'api', { replicas }), 'MeshWorkload "shop/api"', 'replicas', /Fix: use a whole number, 0 or more/);
  });

  test('refuses a version that is not a label value', () => {
    expectConfigError(() => workload(newNamespace(), 'api', { version: 'v1/beta' }), 'MeshWorkload "shop/api"', 'version', /Fix: use a value like "v1-beta"/);
  });
});

describe('MeshWorkload grant validation', () => {
  test('refuses a lower-case method', () => {
    const { api, client } = shop();
    expectConfigError(() => api.allowFrom(client, { methods: ['GET', 'get'] }), 'MeshWorkload "shop/api"', 'allowFrom.methods[1]',
      /not an upper-case HTTP method.*Fix: write "GET"\./);
    expect(api.grants).toHaveLength(0);
  });

  test('accepts the method wildcard', () => {
    const { api, client } = shop();
    expect(() => api.allowFrom(client, { methods: ['*'] })).not.toThrow();
  });

  test('refuses a path without leading slash', () => {
    const { api, client } = shop();
    expectConfigError(() => api.allowFrom(client, { paths: ['products'] }), 'MeshWorkload "shop/api"', 'allowFrom.paths[0]',
      /not a path pattern.*Fix: write "\/products"\./);
  });

  test('refuses a path with a query string', () => {
    const { api, client } = shop();
    expectConfigError(() => api.allowFrom(client, { paths: ['/products?id=1'] }), 'MeshWorkload "shop/api"', 'allowFrom.paths[0]', /Fix: write "\/products"\./);
  });

  test('accepts prefix and suffix path patterns', () => {
    const { api, client } = shop();
    expect(() => api.allowFrom(client, { paths: ['/products/*', '*.json'] })).not.toThrow();
  });

  describe('on a TCP port', () => {
    function db() {
      const ns = newNamespace();
      const mysql = workload(ns, 'mysql', { ports: [ServicePort.tcp(3306, { suffix: 'mysql' }), ServicePort.http(9104, { suffix: 'metrics' })] });
      return { ns, mysql, client: workload(ns, 'client') };
    }

    test('refuses methods on a grant that targets only TCP ports', () => {
      const { mysql, client } = db();
      expectConfigError(() => mysql.allowFrom(client, { ports: [3306], methods: ['GET'] }), 'MeshWorkload "shop/mysql"', 'allowFrom',
        /names methods or paths.*only TCP ports \(3306\).*Fix: for TCP, grant by identity and port only/);
    });

    test('refuses paths on a grant that targets only TCP ports', () => {
      const { mysql, client } = db();
      expectConfigError(() => mysql.allowFrom(client, { ports: [3306], paths: ['/x'] }), 'MeshWorkload "shop/mysql"', 'allowFrom', /Fix: for TCP/);
    });

    test('refuses methods on a TCP-only workload even without ports', () => {
      const ns = newNamespace();
      const mysql = workload(ns, 'mysql', { ports: [ServicePort.tcp(3306)] });
      expectConfigError(() => mysql.allowFrom(workload(ns, 'client'), { methods: ['GET'] }), 'MeshWorkload "shop/mysql"', 'allowFrom', /Fix: for TCP/);
    });

    test('accepts a grant by identity and port, written with the port', () => {
      const { ns, mysql, client } = db();
      mysql.allowFrom(client, { ports: [3306] });
      expect(find(synth(ns.mesh), 'AuthorizationPolicy', 'mysql').spec.rules).toEqual([{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }],
        to: [{ operation: { ports: ['3306'] } }],
      }]);
    });

    test('accepts methods on the HTTP port of a mixed workload', () => {
      const { mysql, client } = db();
      expect(() => mysql.allowFrom(client, { ports: [9104], methods: ['GET'] })).not.toThrow();
    });
  });

  test('refuses a port the service does not have', () => {
    const { api, client } = shop();
    expectConfigError(() => api.allowFrom(client, { ports: [9090] }), 'MeshWorkload "shop/api"', 'allowFrom.ports[0]',
      /9090 is not a port of this workload's Service \(it has 8000\).*Fix: name one of the Service ports/);
  });

  test('refuses the container port in place of the Service port', () => {
    const { api, client } = shop();
    expectConfigError(() => api.allowFrom(client, { ports: [8080] }), 'MeshWorkload "shop/api"', 'allowFrom.ports[0]', /Fix: name one of the Service ports/);
  });

  test('refuses a grant on a workload with no ports', () => {
    const { client, api } = shop();
    expectConfigError(() => client.allowFrom(api), 'MeshWorkload "shop/client"', 'allowFrom', /has no ports.*Fix: declare its ports, or drop the grant/);
  });

  test('refuses a caller without sidecar', () => {
    const { ns, api } = shop();
    const legacy = workload(ns, 'legacy', { sidecar: false });
    expectConfigError(() => api.allowFrom(legacy), 'MeshWorkload "shop/api"', 'allowFrom(caller)',
      /workload shop\/legacy has no sidecar.*Fix: give the caller a sidecar \(sidecar: true\)/);
  });

  test('refuses a grant by principal to a workload in a DISABLE namespace', () => {
    const { api, client } = shop({}, { mtls: MtlsMode.DISABLE });
    expectConfigError(() => api.allowFrom(client), 'MeshWorkload "shop/api"', 'allowFrom(caller)',
      /inbound mTLS is DISABLE.*Fix: set the mtls to STRICT or PERMISSIVE/);
  });

  test.each([
    ['any authenticated workload', Callers.anyAuthenticatedWorkload()],
    ['a service account', Callers.serviceAccount('other', 'robot')],
  ])('refuses %s as caller in a DISABLE namespace', (_label, caller) => {
    const { api } = shop({}, { mtls: MtlsMode.DISABLE });
    expectConfigError(() => api.allowFrom(caller), 'MeshWorkload "shop/api"', 'allowFrom(caller)', /Fix: set the mtls/);
  });

  test('refuses a namespace as caller in a DISABLE namespace', () => {
    const { api, mesh } = shop({}, { mtls: MtlsMode.DISABLE });
    const frontend = new ZeroTrustNamespace(mesh, 'frontend');
    expectConfigError(() => api.allowFrom(frontend), 'MeshWorkload "shop/api"', 'allowFrom(caller)', /Fix: set the mtls/);
  });

  test('allows Callers.anyone() in a DISABLE namespace in dev', () => {
    const { api, mesh } = shop({ stage: 'dev' }, { mtls: MtlsMode.DISABLE });
    api.allowFrom(Callers.anyone());
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').spec.rules).toEqual([{}]);
  });

  test('allows grants by principal in a PERMISSIVE namespace', () => {
    const { api, client } = shop({}, { mtls: MtlsMode.PERMISSIVE });
    expect(() => api.allowFrom(client)).not.toThrow();
  });

  test.each(['required', 'either'] as const)('refuses endUser %s on a plain MeshWorkload', (endUser) => {
    const { api, client } = shop();
    expectConfigError(() => api.allowFrom(client, { endUser }), 'MeshWorkload "shop/api"', 'allowFrom.endUser',
      new RegExp(`"${endUser}" needs end-user tokens.*Fix: make it a JwtProtectedService, or leave endUser unset`));
  });

  test('accepts endUser none on a plain MeshWorkload', () => {
    const { api, client } = shop();
    expect(api.allowFrom(client, { endUser: 'none' }).endUser).toBe('none');
  });
});

describe('MeshWorkload guard rails: Callers.anyone()', () => {
  test('refused in prod', () => {
    const { api } = shop({ stage: 'prod' });
    expectConfigError(() => api.allowFrom(Callers.anyone()), 'MeshWorkload "shop/api"', 'allowFrom(Callers.anyone())',
      /neither an mTLS identity nor an end-user token\. Environment "test" \(stage prod\) refuses this\. Fix: grant named callers.*acknowledgements\.openToAnyone: "<reason>"/);
    expect(api.grants).toHaveLength(0);
  });

  test('allowed in prod with the openToAnyone acknowledgement, recorded on the policy', () => {
    const { api, mesh } = shop({ stage: 'prod', acknowledgements: { openToAnyone: 'public health endpoint' } });
    api.allowFrom(Callers.anyone(), { paths: ['/healthz'] });
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api');
    expect(policy.metadata.annotations![OPEN_ACK]).toBe('public health endpoint');
    expect(policy.spec.rules).toEqual([{ to: [{ operation: { paths: ['/healthz'] } }] }]);
  });

  test('the acknowledgement is not recorded on a policy without an open grant', () => {
    const { api, client, mesh } = shop({ stage: 'prod', acknowledgements: { openToAnyone: 'unused' } });
    api.allowFrom(client);
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').metadata.annotations![OPEN_ACK]).toBeUndefined();
  });

  test.each(['dev', 'staging'] as const)('allowed in %s without acknowledgement', (stage) => {
    const { api, mesh } = shop({ stage });
    api.allowFrom(Callers.anyone());
    // Recorded, so the analyzer reports it as an acknowledged warning rather than an error.
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').metadata.annotations![OPEN_ACK]).toBe(`permitted by stage ${stage} (no reason given in acknowledgements.openToAnyone)`);
  });
});

describe('MeshWorkload duplicates', () => {
  test('a second workload of the same name gets advice, not a construct-tree error', () => {
    const ns = newNamespace();
    new MeshWorkload(ns, 'api', { image: 'api:1' });
    expectConfigError(() => new MeshWorkload(ns, 'api', { image: 'api:2', serviceAccountName: 'other' }), 'MeshWorkload "shop/api"', 'name',
      /already has a workload named "api".*Fix: give each workload a unique name/);
  });

  test('an ingress may share its name with a workload of the namespace', () => {
    const ns = newNamespace();
    const api = new MeshWorkload(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000)] });
    new MeshIngress(ns, 'api', { host: 'api.example.com', service: api });
    expect(findAll(synth(ns.mesh), 'Gateway', 'api')).toHaveLength(1);
  });
});

describe('MeshWorkload version label', () => {
  test.each(['v1', '1.4.2', '2024.11_rc1'])('accepts the label value %s', (version) => {
    const ns = newNamespace();
    new MeshWorkload(ns, 'api', { image: 'api:1', version });
    expect(find(synth(ns.mesh), 'Deployment', 'api').metadata.labels?.version).toBe(version);
  });

  test.each(['-v1', 'v1 beta', 'x'.repeat(64)])('refuses the label value %j', (version) => {
    expectConfigError(() => new MeshWorkload(newNamespace(), 'api', { image: 'api:1', version }), 'MeshWorkload "shop/api"', 'version',
      /is not a valid label value.*Fix: use a value like/);
  });
});

describe('MeshWorkload mTLS of its own and per port', () => {
  const METRICS = ServicePort.http(9090, { targetPort: 19090, suffix: 'metrics' });
  const withMetrics = (meshProps: Parameters<typeof newNamespace>[0] = {}, nsProps: Parameters<typeof newNamespace>[1] = {}) => {
    const ns = newNamespace(meshProps, nsProps);
    return { ns, make: (props: Partial<MeshWorkloadProps>) => workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 }), METRICS], ...props }) };
  };

  test('no PeerAuthentication of its own by default: the namespace\'s applies', () => {
    const { ns, make } = withMetrics();
    expect(make({}).mtls).toBe(MtlsMode.STRICT);
    expect(findAll(synth(ns.mesh), 'PeerAuthentication', 'api')).toEqual([]);
  });

  test('a workload mode and port modes: one PeerAuthentication selecting its pods, ports keyed by container port', () => {
    const { ns, make } = withMetrics({ acknowledgements: { nonStrictMtls: 'metrics scraped by a node agent' } });
    const api = make({ mtls: MtlsMode.STRICT, portMtls: { 9090: MtlsMode.PERMISSIVE } });
    const pa = find(synth(ns.mesh), 'PeerAuthentication', 'api', 'shop');
    expect(pa.spec).toEqual({ selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 19090: { mode: 'PERMISSIVE' } } });
    expect(pa.metadata.annotations).toEqual({ 'zero-trust-mesh.io/acknowledged-non-strict-mtls': 'metrics scraped by a node agent' });
    expect(api.mtlsOf(METRICS)).toBe(MtlsMode.PERMISSIVE);
    expect(api.mtlsOf(api.ports[0]!)).toBe(MtlsMode.STRICT);
  });

  test('port modes alone leave the workload mode unset (it inherits the namespace\'s)', () => {
    const { ns, make } = withMetrics();
    make({ portMtls: { 9090: MtlsMode.PERMISSIVE } });
    expect(find(synth(ns.mesh), 'PeerAuthentication', 'api').spec).toEqual({ selector: { matchLabels: { app: 'api' } }, portLevelMtls: { 19090: { mode: 'PERMISSIVE' } } });
  });

  test('refused by stage: a weaker workload or port mode in prod needs the acknowledgement', () => {
    const workloadWide = expectConfigError(() => withMetrics({ stage: 'prod' }).make({ mtls: MtlsMode.PERMISSIVE }), 'MeshWorkload "shop/api"', 'mtls', /acknowledgements.nonStrictMtls/);
    expect(workloadWide.message).toMatch(/mode PERMISSIVE accepts plaintext, so callers without a verified identity reach this workload\./);
    expect(workloadWide.message).toMatch(/use STRICT, or leave it unset to follow the namespace/);
    const onePort = expectConfigError(() => withMetrics({ stage: 'prod' }).make({ portMtls: { 9090: MtlsMode.DISABLE } }), 'MeshWorkload "shop/api"', 'portMtls.9090', /acknowledgements.nonStrictMtls/);
    expect(onePort.message).toMatch(/mode DISABLE accepts plaintext, so callers without a verified identity reach this workload on that port\./);
  });

  test('STRICT under a DISABLE namespace is refused: callers would send plaintext into a reset', () => {
    const disabled = () => withMetrics({}, { mtls: MtlsMode.DISABLE });
    expectConfigError(() => disabled().make({ mtls: MtlsMode.STRICT }), 'MeshWorkload "shop/api"', 'mtls', /56084.*Fix: make the namespace STRICT or PERMISSIVE/);
    expectConfigError(() => disabled().make({ portMtls: { 8000: MtlsMode.STRICT } }), 'MeshWorkload "shop/api"', 'portMtls.8000', /56084/);
    // A port that stays DISABLE, like its namespace, is no conflict.
    expect(disabled().make({ portMtls: { 9090: MtlsMode.DISABLE } }).mtlsOf(METRICS)).toBe(MtlsMode.DISABLE);
  });

  test('a port mode for a port the Service lacks, or an unknown mode, is refused', () => {
    expectConfigError(() => withMetrics().make({ portMtls: { 8080: MtlsMode.PERMISSIVE } }), 'MeshWorkload "shop/api"', 'portMtls.8080', /not a port of this workload's Service \(it has 8000, 9090\)/);
    expectConfigError(() => withMetrics().make({ portMtls: { 9090: 'OFF' as MtlsMode } }), 'MeshWorkload "shop/api"', 'portMtls.9090', /not an mTLS mode/);
    expectConfigError(() => withMetrics().make({ mtls: 'OFF' as MtlsMode }), 'MeshWorkload "shop/api"', 'mtls', /not an mTLS mode/);
  });

  test('grants by identity are refused only on ports where the workload\'s mode is DISABLE', () => {
    const { ns, make } = withMetrics({ acknowledgements: { nonStrictMtls: 'legacy scraper' } });
    const api = make({ portMtls: { 9090: MtlsMode.DISABLE } });
    const client = workload(ns, 'client');
    expectConfigError(() => api.allowFrom(client, { ports: [9090] }), 'MeshWorkload "shop/api"', 'allowFrom(caller)', /DISABLE on port\(s\) 9090/);
    // Still grantable where mTLS carries the identity.
    api.allowFrom(client, { ports: [8000] });
    expectConfigError(() => make({ mtls: MtlsMode.DISABLE }), 'MeshWorkload "shop/api"', 'name', /already has a workload/);
  });

  test('a workload DISABLE refuses grants by identity; the analyzer agrees with what is accepted', () => {
    const ns = newNamespace({ acknowledgements: { nonStrictMtls: 'legacy client without sidecar', openToAnyone: 'legacy client' } });
    const legacy = workload(ns, 'legacy', { ports: [ServicePort.http(8000)], mtls: MtlsMode.DISABLE });
    expectConfigError(() => legacy.allowFrom(workload(ns, 'client')), 'MeshWorkload "shop/legacy"', 'allowFrom(caller)', /DISABLE \(the workload's mtls\)/);
    legacy.allowFrom(Callers.anyone());
    const errors = ns.mesh.synthesize().findings.filter((f) => f.severity === 'error');
    expect(errors).toEqual([]);
  });
});

describe('the JSON patch escape hatch', () => {
  test('patches a workload\'s Deployment where no prop exists, and the analyzer gate sees the result', () => {
    const { mesh, ns } = shop();
    ApiObject.of(ns.node.findChild('api').node.findChild('deployment')).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'critical'));
    expect(find(synth(mesh), 'Deployment', 'api').spec.template.spec.priorityClassName).toBe('critical');
    // A patch that weakens security is caught like a hand-written object.
    ApiObject.of(ns.node.findChild('mtls')).addJsonPatch(JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE'));
    expect(() => mesh.synthesize()).toThrow(/policy analyzer found 1 error/);
  });
});

describe('MeshWorkload in ambient mode: each grant at the enforcement point that can honour it', () => {
  const WAYPOINT = 'cluster.local/ns/shop/sa/waypoint';
  /** An ambient `shop` with api (HTTP 8000 → 8080), db (TCP 5432) and a client. */
  function ambientShop(nsProps: Parameters<typeof newNamespace>[1] = {}) {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT }, nsProps);
    const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 })] });
    const db = workload(ns, 'db', { ports: [ServicePort.tcp(5432)] });
    const client = workload(ns, 'client');
    return { ns, mesh: ns.mesh, api, db, client };
  }

  test('an L4 grant (identity and port) is a selector policy enforced at ztunnel; no waypoint is made', () => {
    const { mesh, db, api } = ambientShop();
    db.allowFrom(api, { ports: [5432] });
    const objects = synth(mesh);
    expect(find(objects, 'AuthorizationPolicy', 'db', 'shop').spec).toEqual({
      selector: { matchLabels: { app: 'db' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/api'] } }], to: [{ operation: { ports: ['5432'] } }] }],
    });
    expect(findAll(objects, 'Gateway')).toEqual([]);
    expect(find(objects, 'Service', 'db', 'shop').metadata.labels).toEqual({ app: 'db' });
    expect(db.waypoint).toBeUndefined();
    mesh.synthesize(); // the analyzer finds no error
  });

  test('an L7 grant creates the namespace\'s waypoint, binds the Service, and is enforced there by targetRefs', () => {
    const { mesh, ns, api, client } = ambientShop();
    api.allowFrom(client, { methods: ['GET'], paths: ['/orders/*'] });
    const objects = synth(mesh);
    expect(api.waypoint).toBe(ns.waypoint);
    expect(find(objects, 'Gateway', 'waypoint', 'shop').spec.gatewayClassName).toBe('istio-waypoint');
    expect(find(objects, 'Service', 'api', 'shop').metadata.labels).toEqual({
      app: 'api', 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true',
    });
    // At the waypoint: the client's own identity, the methods and paths.
    expect(find(objects, 'AuthorizationPolicy', 'api', 'shop').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }], to: [{ operation: { methods: ['GET'], paths: ['/orders/*'] } }] }],
    });
    // At the destination's ztunnel: the waypoint's identity alone (the waypoint does not
    // impersonate the client), so a caller that skips the waypoint is refused.
    expect(find(objects, 'AuthorizationPolicy', 'api-require-waypoint', 'shop').spec).toEqual({
      selector: { matchLabels: { app: 'api' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: [WAYPOINT] } }] }],
    });
    mesh.synthesize();
  });

  test('grants given before the L7 grant move to the waypoint too: ztunnel would only see the waypoint\'s identity', () => {
    const { mesh, api, client, db } = ambientShop();
    api.allowFrom(db, { ports: [8000] });
    api.allowFrom(client, { methods: ['GET'] });
    const policy = find(synth(mesh), 'AuthorizationPolicy', 'api', 'shop');
    expect(policy.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'api' }]);
    expect(policy.spec.selector).toBeUndefined();
    // A waypoint matches the Service port the request was sent to, not the container port.
    expect(policy.spec.rules[0]).toEqual({ from: [{ source: { principals: ['cluster.local/ns/shop/sa/db'] } }], to: [{ operation: { ports: ['8000'] } }] });
    expect(policy.spec.rules).toHaveLength(2);
  });

  test('the network path goes through the waypoint: callers reach it on 15008, the pods admit only it', () => {
    const { mesh, api, client } = ambientShop();
    api.allowFrom(client, { methods: ['GET'] });
    const objects = synth(mesh);
    const waypointPods = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } };
    expect(find(objects, 'NetworkPolicy', 'api', 'shop').spec.ingress).toEqual([{ from: [waypointPods], ports: [{ protocol: 'TCP', port: 15008 }] }]);
    expect(find(objects, 'NetworkPolicy', 'client', 'shop').spec.egress).toContainEqual({ to: [waypointPods], ports: [{ protocol: 'TCP', port: 15008 }] });
  });

  test('namespace and mesh-wide callers of an L7 grant reach the waypoint too; a bound workload without callers admits no one', () => {
    const waypointPods = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } };
    const toWaypoint = { to: [waypointPods], ports: [{ protocol: 'TCP', port: 15008 }] };
    const frontendEgress = (grant: (api: MeshWorkload, frontend: ZeroTrustNamespace) => void) => {
      const { mesh, ns, api } = ambientShop();
      const frontend = new ZeroTrustNamespace(mesh, 'frontend');
      workload(frontend, 'web');
      grant(api, frontend);
      return { egress: findAll(synth(mesh), 'NetworkPolicy').filter((p) => p.metadata.namespace === 'frontend').flatMap((p) => p.spec.egress ?? []), ns };
    };
    expect(frontendEgress((api, frontend) => api.allowFrom(frontend, { methods: ['GET'] })).egress).toContainEqual(toWaypoint);
    expect(frontendEgress((api) => api.allowFrom(Callers.anyAuthenticatedWorkload(), { methods: ['GET'] })).egress).toContainEqual(toWaypoint);
    // An L4 grant stays at ztunnel: the namespace reaches the pods, not the waypoint.
    expect(frontendEgress((api, frontend) => api.allowFrom(frontend, { ports: [8000] })).egress).not.toContainEqual(toWaypoint);
    const { mesh, ns } = ambientShop();
    const batch = workload(ns, 'batch', { ports: [ServicePort.http(8000)], waypoint: new Waypoint(ns, 'edge') });
    batch.allowTo(ExternalHost.https('api.stripe.com'));
    const policy = find(synth(mesh), 'NetworkPolicy', 'batch', 'shop');
    expect(policy.spec.ingress).toBeUndefined();
    expect(policy.spec.policyTypes).toEqual(['Egress']);
  });

  test('an L7 denial moves to the waypoint: at ztunnel its HTTP conditions are dropped and it would never fire', () => {
    const { mesh, api, client } = ambientShop();
    api.allowFrom(client);
    api.denyFrom(client, { methods: ['DELETE'] });
    const objects = synth(mesh);
    expect(find(objects, 'AuthorizationPolicy', 'api-deny', 'shop').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'DENY',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }], to: [{ operation: { methods: ['DELETE'] } }] }],
    });
    mesh.synthesize();
  });

  test('a workload may name its waypoint; grants then use it whatever they ask', () => {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT });
    const edge = new Waypoint(ns, 'edge');
    const api = workload(ns, 'api', { ports: [ServicePort.http(8080)], waypoint: edge });
    api.allowFrom(workload(ns, 'client'));
    const objects = synth(ns.mesh);
    expect(find(objects, 'Service', 'api', 'shop').metadata.labels?.['istio.io/use-waypoint']).toBe('edge');
    expect(find(objects, 'AuthorizationPolicy', 'api-require-waypoint', 'shop').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/edge'] } }] }]);
    expect(ns.waypoint).toBeUndefined();
    ns.mesh.synthesize();
  });

  test('refuses an L7 grant where the namespace makes no waypoint and the workload names none', () => {
    const { api, client } = ambientShop({ automaticWaypoint: false });
    expectConfigError(() => api.allowFrom(client, { paths: ['/admin'] }), 'MeshWorkload "shop/api"', 'allowFrom',
      /names methods or paths, which in ambient mode only a waypoint enforces.*automaticWaypoint: false.*Fix: bind the workload to a waypoint/);
  });

  test('refuses Callers.anyone() on a waypoint-bound workload: plaintext callers skip the waypoint and ztunnel refuses them', () => {
    const { mesh, api, client } = ambientShop();
    api.allowFrom(client, { methods: ['GET'] });
    expectConfigError(() => api.allowFrom(Callers.anyone()), 'MeshWorkload "shop/api"', 'allowFrom(Callers.anyone())',
      /bound to waypoint shop\/waypoint.*skips the waypoint.*Fix: grant mesh callers/);
    mesh.synthesize();
  });

  test('refuses endUser "either" on ambient: a token holder outside the mesh arrives in plaintext and skips the waypoint', () => {
    const { ns, mesh, client } = ambientShop();
    const issuer = JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys' });
    const orders = new JwtProtectedService(ns, 'orders', { image: 'registry.example.com/orders:1.0', ports: [ServicePort.http(8000)], issuers: [issuer] });
    expectConfigError(() => orders.allowFrom(client, { endUser: 'either' }), 'JwtProtectedService "shop/orders"', 'allowFrom.endUser',
      /admits any holder of a valid token \(endUser: "either"\).*skips the waypoint.*Fix: use endUser: "required"/);
    orders.allowFrom(client, { endUser: 'required' });
    mesh.synthesize();
  });

  test('refuses the L7 grant that would bind a waypoint when an earlier grant admits anyone; nothing is half-written', () => {
    const { ns, mesh, api, client } = ambientShop();
    api.allowFrom(Callers.anyone());
    expectConfigError(() => api.allowFrom(client, { methods: ['GET'] }), 'MeshWorkload "shop/api"', 'allowFrom',
      /an earlier grant admits anyone.*skips the waypoint/);
    expect(ns.waypoint).toBeUndefined();
    expect(findAll(synth(mesh), 'Gateway')).toEqual([]);
  });

  test('refuses a sidecar caller of a waypoint-bound workload: sidecars bypass waypoints (istio/istio#51445)', () => {
    const { mesh, api, client } = ambientShop();
    const legacyNs = new ZeroTrustNamespace(mesh, 'legacy', { dataplane: Dataplane.SIDECAR });
    const legacy = workload(legacyNs, 'client');
    expectConfigError(() => api.allowFrom(legacy, { methods: ['GET'] }), 'MeshWorkload "shop/api"', 'allowFrom(caller)',
      /the grant needs a waypoint \(L7\), and workload legacy\/client runs sidecars.*51445.*Fix: move namespace "legacy" to ambient too/);
    api.allowFrom(client, { methods: ['GET'] });
    expectConfigError(() => api.allowFrom(legacyNs, { ports: [8000] }), 'MeshWorkload "shop/api"', 'allowFrom(caller)', /any workload in namespace legacy runs sidecars/);
  });

  test('refuses an L7 grant to any authenticated workload while the mesh has sidecar namespaces; L4 is fine', () => {
    const { mesh, api } = ambientShop();
    new ZeroTrustNamespace(mesh, 'legacy', { dataplane: Dataplane.SIDECAR });
    expectConfigError(() => api.allowFrom(Callers.anyAuthenticatedWorkload(), { methods: ['GET'] }), 'MeshWorkload "shop/api"', 'allowFrom(caller)',
      /any authenticated mesh workload includes the sidecar pods of namespace "legacy", and sidecars send requests straight to the pods.*51445.*Fix: .*grant the ambient namespaces by name, or keep this workload's grants L4/);
    // At L4 ztunnel enforces the grant and sees every caller's identity, sidecar pods' too.
    api.allowFrom(Callers.anyAuthenticatedWorkload(), { ports: [8000] });
    mesh.synthesize();
  });

  test('an L7 grant to any authenticated workload in an all-ambient mesh binds the waypoint', () => {
    const { mesh, api, ns } = ambientShop();
    api.allowFrom(Callers.anyAuthenticatedWorkload(), { methods: ['GET'] });
    mesh.synthesize();
    expect(ns.waypoint).toBeDefined();
  });

  test('a sidecar caller of an L4-only ambient workload is fine: ztunnel sees its identity over HBONE', () => {
    const { mesh, db } = ambientShop();
    const legacy = workload(new ZeroTrustNamespace(mesh, 'legacy', { dataplane: Dataplane.SIDECAR }), 'client');
    db.allowFrom(legacy, { ports: [5432] });
    mesh.synthesize();
  });

  test('a waypoint is refused for sidecar workloads and for workloads outside the mesh', () => {
    const sidecarNs = newNamespace();
    expectConfigError(() => workload(sidecarNs, 'api', { ports: [ServicePort.http(8080)], waypoint: {} as Waypoint }),
      'MeshWorkload "shop/api"', 'waypoint', /runs sidecars.*never send traffic through a waypoint/);
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT });
    const edge = new Waypoint(ns, 'edge');
    expectConfigError(() => workload(ns, 'batch', { ports: [ServicePort.http(8080)], sidecar: false, waypoint: edge }),
      'MeshWorkload "shop/batch"', 'waypoint', /outside the mesh \(sidecar: false\)/);
  });

  test('refuses allowTo through the mesh\'s egress gateway from an ambient pod: the route is a VirtualService ztunnel never reads', () => {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT, egressGateway: EgressGateway.helmChart() });
    const api = workload(ns, 'api', { ports: [ServicePort.http(8080)] });
    expectConfigError(() => api.allowTo(ExternalHost.https('api.stripe.com')), 'MeshWorkload "shop/api"', 'allowTo',
      /only sidecars apply; from an ambient pod the call to api\.stripe\.com would skip the gateway.*Fix: keep namespace "shop" on sidecars/);
    // Without an egress gateway the ambient pod's NetworkPolicy egress is what limits the call.
    const plain = newNamespace({ dataplane: Dataplane.AMBIENT });
    workload(plain, 'api', { ports: [ServicePort.http(8080)] }).allowTo(ExternalHost.https('api.stripe.com'));
    plain.mesh.synthesize();
  });

  test('the same grants on the sidecar data plane stay selector policies with no waypoint', () => {
    const { mesh, api, client } = shop();
    api.allowFrom(client, { methods: ['GET'] });
    const objects = synth(mesh);
    expect(find(objects, 'AuthorizationPolicy', 'api', 'shop').spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(findAll(objects, 'Gateway')).toEqual([]);
    expect(findAll(objects, 'AuthorizationPolicy', 'api-require-waypoint')).toEqual([]);
  });
});

describe('MeshWorkload mTLS in ambient mode', () => {
  test('DISABLE on the workload or a port is refused: ambient treats it as PERMISSIVE', () => {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT });
    expectConfigError(() => workload(ns, 'a', { ports: [ServicePort.http(8080)], mtls: MtlsMode.DISABLE }), 'MeshWorkload "shop/a"', 'mtls', /no effect on ambient pods/);
    expectConfigError(() => workload(ns, 'b', { ports: [ServicePort.http(8080)], portMtls: { 8080: MtlsMode.DISABLE } }), 'MeshWorkload "shop/b"', 'portMtls.8080',
      /no effect on ambient pods.*Fix: use STRICT \(or PERMISSIVE, acknowledged\), or run the workload in a sidecar namespace/);
    // The other modes are ztunnel's own: accepted on a port.
    const strict = workload(ns, 'c', { ports: [ServicePort.http(8080)], portMtls: { 8080: MtlsMode.STRICT } });
    expect(strict.mtlsOf(strict.ports[0]!)).toBe(MtlsMode.STRICT);
  });
});

// Who a grant or denial admits or refuses, in the cases a mutation run of allowFrom/denyFrom found
// untested (issue 21): each test fails if the rendering lets in, or fails to refuse, someone else.
describe('MeshWorkload grants and denials: who ends up admitted or refused', () => {
  const OIDC = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['shop'] });
  /** `shop` with `mysql` (TCP 3306, HTTP metrics 9104 → 19104) and a `client`. */
  function mixed(meshProps: Parameters<typeof newNamespace>[0] = {}, nsProps: Parameters<typeof newNamespace>[1] = {}) {
    const ns = newNamespace(meshProps, nsProps);
    const mysql = workload(ns, 'mysql', { ports: [ServicePort.tcp(3306, { suffix: 'mysql' }), ServicePort.http(9104, { targetPort: 19104, suffix: 'metrics' })] });
    return { ns, mesh: ns.mesh, mysql, client: workload(ns, 'client') };
  }

  test('endUser "either" opens the network to any token holder, on the granted container port only', () => {
    const ns = newNamespace();
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8000, { targetPort: 8080 }), ServicePort.tcp(9000, { suffix: 'raw' })], issuers: [OIDC] });
    const web = workload(ns, 'web');
    api.allowFrom(web, { endUser: 'either', ports: [8000] });
    // The policy admits a valid token from anyone (its second rule), so the NetworkPolicy must
    // not drop such callers before Istio sees them; port 9000 stays closed to them.
    const ingress = find(synth(ns.mesh), 'NetworkPolicy', 'api', 'shop').spec.ingress;
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
    expect(ingress).toContainEqual({ ports: tcp(8080, 15008) });
    expect(ingress.filter((rule: { from?: unknown }) => rule.from === undefined)).toEqual([{ ports: tcp(8080, 15008) }]);
  });

  test('a named grant after an acknowledged open one keeps the acknowledgement on the policy', () => {
    const { api, client, mesh } = shop({ stage: 'prod', acknowledgements: { openToAnyone: 'public health endpoint' } });
    api.allowFrom(Callers.anyone(), { paths: ['/healthz'] });
    api.allowFrom(client);
    // Without it the analyzer would report the open rule as an unacknowledged error.
    expect(find(synth(mesh), 'AuthorizationPolicy', 'api').metadata.annotations![OPEN_ACK]).toBe('public health endpoint');
    mesh.synthesize();
  });

  test('denyFrom by identity alone covers every port, TCP ones too', () => {
    const { mesh, mysql, client } = mixed();
    const denial = mysql.denyFrom(client, { reason: 'compromised' });
    // No `to`: the client is refused on 3306 as well as on the metrics port.
    expect(find(synth(mesh), 'AuthorizationPolicy', 'mysql-deny').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }] },
    ]);
    expect(denial).toMatchObject({ callee: 'shop/mysql', targetPorts: [] });
  });

  test('denyFrom with paths and no ports is scoped to the HTTP ports; ports named are all kept', () => {
    const { mesh, mysql, client } = mixed();
    mysql.denyFrom(client, { paths: ['/debug/*'] });
    mysql.denyFrom(Callers.anyone(), { ports: [3306, 9104], paths: ['/admin/*'] });
    // A port named explicitly is never dropped from a denial: on TCP Istio drops the HTTP
    // conditions and the rule denies the whole port, which is what the caller asked to close.
    expect(find(synth(mesh), 'AuthorizationPolicy', 'mysql-deny').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }], to: [{ operation: { ports: ['19104'], paths: ['/debug/*'] } }] },
      { to: [{ operation: { ports: ['3306', '19104'], paths: ['/admin/*'] } }] },
    ]);
  });

  test('denyFrom on a workload with no ports is refused', () => {
    const { api, client } = shop();
    expectConfigError(() => client.denyFrom(api), 'MeshWorkload "shop/client"', 'denyFrom', /nothing reaches it to deny.*Fix: declare its ports, or drop the denial/);
    expect(client.denials).toEqual([]);
  });

  test('a denial whose method or path could never match is refused: it would let everything through', () => {
    const { api, client } = shop();
    // Istio compares methods exactly and paths from the leading "/": such a DENY never fires.
    expectConfigError(() => api.denyFrom(client, { methods: ['DELETE', 'PATCh'] }), 'MeshWorkload "shop/api"', 'denyFrom.methods[1]', /"PATCh" is not an upper-case HTTP method.*Fix: write "PATCH"/);
    expectConfigError(() => api.denyFrom(client, { methods: ['pATCH'] }), 'MeshWorkload "shop/api"', 'denyFrom.methods[0]', /"pATCH" is not an upper-case HTTP method/);
    expectConfigError(() => api.denyFrom(client, { paths: ['admin/*'] }), 'MeshWorkload "shop/api"', 'denyFrom.paths[0]', /"admin\/\*" is not a path pattern.*Fix: write "\/admin\/\*"/);
    expectConfigError(() => api.denyFrom(client, { ports: [8080] }), 'MeshWorkload "shop/api"', 'denyFrom.ports[0]', /8080 is not a port of this workload's Service/);
    expectConfigError(() => api.allowFrom(client, { methods: ['GEt'] }), 'MeshWorkload "shop/api"', 'allowFrom.methods[0]', /Fix: write "GET"/);
    expect(api.denials).toEqual([]);
  });

  test('an endUser value outside the three is refused, not rendered (JavaScript callers)', () => {
    const ns = newNamespace();
    const api = new JwtProtectedService(ns, 'api', { image: 'api:1', ports: [ServicePort.http(8080)], issuers: [OIDC] });
    expectConfigError(() => api.allowFrom(workload(ns, 'web'), { endUser: 'optional' as 'none' }), 'JwtProtectedService "shop/api"', 'allowFrom.endUser',
      /"optional" is not an end-user requirement.*Fix: use "required", "either" or "none"/);
    expect(api.grants).toEqual([]);
  });

  test('ambient: a denial on a named port is matched at the waypoint by the Service port', () => {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT });
    const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 })] });
    const client = workload(ns, 'client');
    api.allowFrom(client);
    api.denyFrom(client, { ports: [8000], methods: ['DELETE'] });
    // The waypoint sees port 8000; a rule on 8080 would never fire there and the DELETE would pass.
    expect(find(synth(ns.mesh), 'AuthorizationPolicy', 'api-deny', 'shop').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'DENY',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }], to: [{ operation: { ports: ['8000'], methods: ['DELETE'] } }] }],
    });
    ns.mesh.synthesize();
  });

  test('a grant by identity to every port is accepted when only some ports are DISABLE', () => {
    const ns = newNamespace({ acknowledgements: { nonStrictMtls: 'legacy scraper' } });
    const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 }), ServicePort.http(9090, { targetPort: 19090, suffix: 'metrics' })], portMtls: { 9090: MtlsMode.DISABLE } });
    api.allowFrom(workload(ns, 'client'));
    // On 8000 mTLS carries the client's identity, so the rule can match there.
    expect(find(synth(ns.mesh), 'AuthorizationPolicy', 'api').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }] }]);
    // With every granted port DISABLE the grant is refused, naming the ports.
    const all = workload(ns, 'all', { ports: [ServicePort.http(8000), ServicePort.http(9090, { suffix: 'metrics' })], portMtls: { 8000: MtlsMode.DISABLE, 9090: MtlsMode.DISABLE } });
    expectConfigError(() => all.allowFrom(workload(ns, 'other')), 'MeshWorkload "shop/all"', 'allowFrom(caller)', /inbound mTLS is DISABLE on port\(s\) 8000, 9090,/);
  });

  test('a grant by identity in a DISABLE namespace names the namespace as the cause', () => {
    const { api, client } = shop({}, { mtls: MtlsMode.DISABLE });
    expectConfigError(() => api.allowFrom(client), 'MeshWorkload "shop/api"', 'allowFrom(caller)', /inbound mTLS is DISABLE \(namespace "shop"\)/);
  });

  test('ambient: an L7 denial with no waypoint to enforce it is refused (at ztunnel it would never fire)', () => {
    const ns = newNamespace({ dataplane: Dataplane.AMBIENT }, { automaticWaypoint: false });
    const api = workload(ns, 'api', { ports: [ServicePort.http(8000, { targetPort: 8080 })] });
    expectConfigError(() => api.denyFrom(workload(ns, 'client'), { methods: ['DELETE'] }), 'MeshWorkload "shop/api"', 'denyFrom',
      /the denial of workload shop\/client names methods or paths, which in ambient mode only a waypoint enforces/);
    expect(api.denials).toEqual([]);
  });

  test('HTTP conditions on TCP ports are refused, naming every TCP port', () => {
    const ns = newNamespace();
    const db = workload(ns, 'db', { ports: [ServicePort.tcp(5432, { suffix: 'pg' }), ServicePort.tcp(6432, { suffix: 'bouncer' }), ServicePort.http(9187, { suffix: 'metrics' })] });
    const client = workload(ns, 'client');
    expectConfigError(() => db.allowFrom(client, { ports: [5432, 6432], methods: ['GET'] }), 'MeshWorkload "shop/db"', 'allowFrom', /only TCP ports \(5432, 6432\)/);
    expectConfigError(() => db.denyFrom(client, { ports: [5432, 6432], paths: ['/x'] }), 'MeshWorkload "shop/db"', 'denyFrom',
      /covers only TCP ports \(5432, 6432\).*Fix: deny on TCP by identity and port only, or name the HTTP ports/);
  });

  test('denyFrom by identity on plaintext ports names each of them', () => {
    const ns = newNamespace({ acknowledgements: { nonStrictMtls: 'migration' } }, { mtls: MtlsMode.PERMISSIVE });
    const api = workload(ns, 'api', { ports: [ServicePort.http(8080), ServicePort.tcp(9000)] });
    expectConfigError(() => api.denyFrom(workload(ns, 'web')), 'MeshWorkload "shop/api"', 'denyFrom(caller)', /port\(s\) 8080, 9000 accept plaintext \(mTLS PERMISSIVE\)/);
  });
});
