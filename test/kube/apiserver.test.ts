// The synthesized manifests as a real Kubernetes API server sees them (v1.26 with Istio 1.30's
// CRDs and their CEL rules): every object accepted by a server-side dry run.
import { App } from 'cdk8s';
import { JwtIssuer } from 'zero-trust-mesh';
import { BookinfoMesh } from '../../examples/bookinfo/bookinfo.js';
import { describeWithApiServer, serverDryRun } from '../helpers/kube-apiserver.js';

describeWithApiServer('the real API server accepts what synth writes', () => {
  test('Bookinfo: every object, including the StatefulSet, HPA, budgets, subsets and routes', () => {
    const issuer = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['bookinfo'] });
    const { manifests } = new BookinfoMesh(new App(), 'prod', { issuer, host: 'bookinfo.example.com', tlsCredentialName: 'bookinfo-tls' }).synthesize();
    const result = serverDryRun(manifests);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const accepted = result.stdout.trim().split('\n');
    expect(accepted).toHaveLength(manifests.length);
    expect(accepted.every((line) => / serverside-applied \(server dry run\)$/.test(line))).toBe(true);
    for (const kind of ['statefulset.apps/mysqldb', 'horizontalpodautoscaler.autoscaling/productpage', 'poddisruptionbudget.policy/reviews',
      'destinationrule.networking.istio.io/reviews', 'virtualservice.networking.istio.io/reviews', 'deployment.apps/reviews-v3']) {
      expect(accepted).toContain(`${kind} serverside-applied (server dry run)`);
    }
  });

  // The reference mesh's environments are applied for real (not dry-run) in apply.test.ts.

  test('the server refuses what it should: it is a real check, not a formality', () => {
    // Built-in validation no schema package checks: the selector must match the pod labels.
    const result = serverDryRun([{
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad', namespace: 'refusals' },
      spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'c:1' }] } } },
    } as never]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/selector.*does not match template .?labels/);
    // And a CEL rule of Istio's CRDs: a PeerAuthentication's portLevelMtls needs a selector.
    const cel = serverDryRun([{
      apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'bad', namespace: 'refusals' },
      spec: { portLevelMtls: { 8080: { mode: 'DISABLE' } } },
    } as never]);
    expect(cel.code).not.toBe(0);
    expect(cel.stderr).toMatch(/portLevelMtls/);
  });
});
