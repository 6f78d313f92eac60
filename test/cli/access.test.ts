import { runMain, ztMesh } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { synthToDirectory } from '../infra/reference.js';
import { testIssuer } from '../analysis/access/tokens.js';
import { JwtIssuer, MeshApp } from 'zero-trust-mesh';
import { BookinfoMesh } from '../../examples/bookinfo/bookinfo.js';

const out = mkdtempSync(join(tmpdir(), 'zt-access-'));
synthToDirectory([ENVIRONMENTS.dev!, ENVIRONMENTS.prod!], out);
const dev = join(out, 'dev');
const prod = join(out, 'prod');

const run = runMain;

describe('zt-mesh access check', () => {
  test('prints the outcome and reason as JSON', async () => {
    const result = await run('access', 'check', '--manifests', prod, '--request', JSON.stringify({ from: { workload: 'products/service-a' }, to: 'products/mysql', port: 3306 }));
    expect(result.status).toBe(0);
    const verdict = JSON.parse(result.stdout);
    expect(Object.keys(verdict)).toEqual(['outcome', 'reason']);
    expect(verdict.outcome).toBe('dropped');
    expect(verdict.reason).toMatch(/dropped by NetworkPolicy products\/default-deny, products\/service-a: egress of products\/service-a \(to products\/mysql\) is isolated/);
  });

  test('a request file and a --jwks mapping: a token the test signs is checked for real', async () => {
    const jwksUri = (readFileSync(join(dev, 'security', 'jwt.yaml'), 'utf8').match(/jwksUri: (\S+)/) ?? [])[1]!;
    const issuer = await testIssuer('testing@secure.istio.io');
    const jwksFile = join(out, 'jwks.json');
    writeFileSync(jwksFile, issuer.jwks);
    const requestFile = join(out, 'request.json');
    writeFileSync(requestFile, JSON.stringify({
      from: { workload: 'sleep/sleep' }, to: 'jwt/httpbin', port: 8000, method: 'GET', path: '/status/200',
      token: await issuer.sign({ sub: 'me', groups: ['group1'] }),
    }));
    const allowed = await run('access', 'check', '--manifests', dev, '--request', requestFile, '--jwks', `${jwksUri}=${jwksFile}`);
    expect(JSON.parse(allowed.stdout).outcome).toBe('allow');
    const unmapped = await run('access', 'check', '--manifests', dev, '--request', requestFile);
    expect(JSON.parse(unmapped.stdout)).toMatchObject({ outcome: 'deny-401', reason: expect.stringMatching(/unreachable offline/) });
  });

  test.each([
    ['unknown service', ['--request', '{"from":{"outside":true},"to":"products/nope","port":1}'], /"products\/nope" is not a Service/],
    ['bad source', ['--request', '{"from":{"pod":"x"},"to":"products/mysql","port":3306}'], /request\.from must be/],
    ['not JSON', ['--request', '{oops'], /not valid JSON/],
    ['missing request', [], /give the request with --request/],
    ['unknown option', ['--request', '{}', '--nope'], /Unknown option '--nope'/],
    ['to and toHost', ['--request', '{"from":{"workload":"products/service-a"},"to":"products/mysql","toHost":"api.stripe.com","port":443}'], /not both/],
    ['toHost from outside', ['--request', '{"from":{"outside":true},"toHost":"api.stripe.com","port":443}'], /toHost needs request\.from to be/],
    ['bad outbound policy', ['--outbound-traffic-policy', 'DENY', '--request', '{"from":{"workload":"products/service-a"},"toHost":"api.stripe.com","port":443}'], /use ALLOW_ANY or REGISTRY_ONLY/],
  ])('%s: one line, exit 2', async (_name, args, message) => {
    const result = await run('access', 'check', '--manifests', prod, ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('zt-mesh access check: egress', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zt-egress-'));
  writeFileSync(join(dir, 'mesh.yaml'), `apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: default}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec: {serviceAccountName: sleep, containers: [{name: sleep, image: curlimages/curl}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext, namespace: default}
spec: {hosts: [httpbin.org], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS, location: MESH_EXTERNAL}
`);
  const request = (host: string, port: number) => JSON.stringify({ from: { workload: 'default/sleep' }, toHost: host, port });

  test('toHost and --outbound-traffic-policy: ALLOW_ANY passes an unknown host through, REGISTRY_ONLY blocks it, a ServiceEntry admits its host', async () => {
    const passthrough = await run('access', 'check', '--manifests', dir, '--request', request('www.google.com', 443));
    expect(JSON.parse(passthrough.stdout)).toMatchObject({ outcome: 'allow', reason: expect.stringMatching(/ALLOW_ANY/) });
    const blocked = await run('access', 'check', '--manifests', dir, '--outbound-traffic-policy', 'REGISTRY_ONLY', '--request', request('www.google.com', 443));
    expect(JSON.parse(blocked.stdout)).toMatchObject({ outcome: 'blocked', reason: expect.stringMatching(/REGISTRY_ONLY/) });
    const registered = await run('access', 'check', '--manifests', dir, '--outbound-traffic-policy', 'REGISTRY_ONLY', '--request', request('httpbin.org', 80));
    expect(JSON.parse(registered.stdout).outcome).toBe('allow');
    const matrix = await run('access', 'matrix', '--manifests', dir, '--outbound-traffic-policy', 'REGISTRY_ONLY', '--format', 'json');
    expect(JSON.parse(matrix.stdout)).toEqual([expect.objectContaining({ from: 'default/sleep', to: 'httpbin.org', external: true, port: 80, outcome: 'allow' })]);
  });
});

describe('zt-mesh access matrix, diff, chain', () => {
  test('matrix --format json is the cells; markdown a table', async () => {
    const json = await run('access', 'matrix', '--manifests', prod, '--format', 'json');
    const cells = JSON.parse(json.stdout) as { from: string; to: string; outcome: string }[];
    expect(cells.filter((c) => c.outcome === 'allow').map((c) => `${c.from}>${c.to}`).sort())
      .toEqual(['ingress>products/service-a', 'products/service-a>api.payments.example', 'products/service-a>products/service-c', 'products/service-b>products/mysql', 'products/service-c>products/service-b']);
    expect((await run('access', 'matrix', '--manifests', prod, '--format', 'markdown')).stdout).toMatch(/^\| from \|/);
  });

  test('diff shows a grant widened in a pull request', async () => {
    const after = join(out, 'after');
    synthToDirectory([ENVIRONMENTS.prod!], after);
    const file = join(after, 'prod', 'security', 'products.yaml');
    // Open mysql to every authenticated workload, at both layers: the kind of change a reviewer must see.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/- cluster\.local\/ns\/products\/sa\/service-b/, '- "*"'));
    writeFileSync(join(after, 'prod', 'security', 'mysql-open.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: mysql-open, namespace: products}\n'
      + 'spec: {podSelector: {matchLabels: {app: mysql}}, policyTypes: [Ingress], ingress: [{from: [{namespaceSelector: {}}]}]}\n---\n'
      + 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: to-mysql, namespace: products}\n'
      + 'spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: mysql}}}]}]}\n');
    const result = await run('access', 'diff', prod, join(after, 'prod'), '--format', 'markdown');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^### Access changes: 3 gained, 0 lost/);
    expect(result.stdout).toMatch(/products\/service-a → products\/mysql:3306 \| dropped \| allow/);
  });

  test('chain shows where the token goes', async () => {
    const result = await run('access', 'chain', '--manifests', prod, '--port', '8000', '--path', '/products', '--assume-valid-token',
      'products/service-a', 'products/service-c', 'products/service-b');
    expect(result.stdout).toMatch(/^1\. ingress → products\/service-a: allow; token arrives, forwarded/);
    expect(result.stdout).toMatch(/3\. products\/service-c → products\/service-b: allow; token arrives, stripped here/);
  });

  test('chain --to-host ends with a hop to an external host; a malformed one is a usage error', async () => {
    const result = await run('access', 'chain', '--manifests', prod, '--port', '8000', '--path', '/products', '--assume-valid-token',
      '--to-host', 'api.stripe.com:443', 'products/service-a');
    expect(result.status).toBe(0);
    // The reference mesh lets no workload out: REGISTRY_ONLY, and no ServiceEntry.
    expect(result.stdout).toMatch(/2\. products\/service-a → api\.stripe\.com \(external\): blocked/);
    const bad = await run('access', 'chain', '--manifests', prod, '--port', '8000', '--to-host', 'api.stripe.com', 'products/service-a');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--to-host "api\.stripe\.com" must be <host>:<port>/);
  });

  test('chain with a path per hop: Bookinfo\'s productpage, then reviews, then ratings, each on its own path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-bookinfo-'));
    const app = new MeshApp({ outdir: dir });
    new BookinfoMesh(app, 'prod', {
      issuer: JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['bookinfo'] }),
      host: 'bookinfo.example.com', tlsCredentialName: 'bookinfo-tls',
    });
    app.write();
    const hops = ['bookinfo/productpage', 'bookinfo/reviews', 'bookinfo/ratings'];
    const perHop = await run('access', 'chain', '--manifests', join(dir, 'prod'), '--port', '9080',
      '--path', '/productpage', '--path', '/reviews/0', '--path', '/ratings/0', '--assume-valid-token', ...hops);
    expect(perHop.stdout).toMatch(/2\. bookinfo\/productpage → bookinfo\/reviews: allow/);
    expect(perHop.stdout).toMatch(/3\. bookinfo\/reviews-v1 → bookinfo\/ratings: allow/);
    // One path for every hop asks reviews for /productpage, which no grant allows.
    const onePath = await run('access', 'chain', '--manifests', join(dir, 'prod'), '--port', '9080', '--path', '/productpage', '--assume-valid-token', ...hops);
    expect(onePath.stdout).toMatch(/2\. bookinfo\/productpage → bookinfo\/reviews: 403/);
    const mismatched = await run('access', 'chain', '--manifests', join(dir, 'prod'), '--port', '9080', '--path', '/a', '--path', '/b', ...hops);
    expect(mismatched.status).toBe(2);
    expect(mismatched.stderr).toMatch(/one path for every hop or one per hop: 2 for 3 services/);
  });

  test('the installed command runs it (bin, async main)', () => {
    const result = ztMesh(['access', 'check', '--manifests', prod, '--request', '{"from":{"outside":true},"to":"products/service-c","port":8000}']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).outcome).toBe('dropped');
  });
});
