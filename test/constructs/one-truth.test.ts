// One truth: whatever the constructs accept, the analyzer calls no error, and the access matrix
// allows exactly what the grants declare. Random meshes built with the constructs: plain, token-
// checking, versioned and stateful workloads, namespaces of either mTLS mode, grants of every
// caller kind and token requirement (with claims), whole-port denials, and an ingress.
import { App } from 'cdk8s';
import fc from 'fast-check';
import {
  Callers, Dataplane, ICaller, JwtIssuer, JwtProtectedService, Mesh, MeshIngress, MeshWorkload, MtlsMode, ServicePort, ZeroTrustConfigError, ZeroTrustNamespace,
} from '../../constructs/index.js';
import { accessMatrix } from '../../analysis/access/matrix.js';
import { AccessSimulator } from '../../analysis/access/simulator.js';
import { MeshModel } from '../../analysis/model.js';
import type { Manifest } from '../../manifests/index.js';

const ISSUER = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['mesh'] });
const HTTP = ServicePort.http(8000, { targetPort: 8080 });
const TCP = ServicePort.tcp(5432, { suffix: 'db' });

type Kind = 'plain' | 'jwt' | 'jwt-forwarding' | 'versioned' | 'stateful' | 'client' | 'legacy';
type CallerKind = 'workload' | 'namespace' | 'any-authenticated' | 'anyone' | 'service-account';
type EndUser = 'required' | 'either' | 'none';

interface GrantSpec { readonly from: number; readonly to: number; readonly caller: CallerKind; readonly endUser: EndUser; readonly narrow: boolean; readonly claims: boolean }
interface Spec {
  readonly permissive: readonly boolean[];
  readonly workloads: readonly { readonly ns: number; readonly kind: Kind }[];
  readonly grants: readonly GrantSpec[];
  readonly denials: readonly (readonly [number, number])[];
  readonly ingress: number | undefined;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  permissive: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  workloads: fc.array(fc.record({ ns: fc.nat(), kind: fc.constantFrom<Kind>('plain', 'jwt', 'jwt-forwarding', 'versioned', 'stateful', 'client', 'legacy') }), { minLength: 2, maxLength: 6 }),
  grants: fc.array(fc.record({
    from: fc.nat(), to: fc.nat(),
    caller: fc.constantFrom<CallerKind>('workload', 'namespace', 'any-authenticated', 'anyone', 'service-account'),
    endUser: fc.constantFrom<EndUser>('required', 'either', 'none'),
    narrow: fc.boolean(), claims: fc.boolean(),
  }), { maxLength: 8 }),
  denials: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 2 }),
  ingress: fc.option(fc.nat(), { nil: undefined }),
});

/** A workload as the matrix names its callers (one per Deployment or StatefulSet). */
interface Pod { readonly label: string; readonly namespace: string; readonly serviceAccount: string; readonly sidecar: boolean }

interface Built {
  readonly mesh: Mesh;
  /** Expected allowed cells, in the matrix's words. */
  readonly expected: Set<string>;
  readonly accepted: number;
}

/** Builds the mesh; grants the constructs refuse are skipped (that refusal is their job). */
function build(s: Spec, dataplane = Dataplane.SIDECAR): Built {
  const mesh = new Mesh(new App(), 'prop', { stage: 'dev', mtls: MtlsMode.STRICT, dataplane });
  const namespaces = s.permissive.map((p, i) => new ZeroTrustNamespace(mesh, `ns${i}`, { mtls: p ? MtlsMode.PERMISSIVE : MtlsMode.STRICT }));
  const pods: Pod[] = [];
  const workloads = s.workloads.map(({ ns: n, kind }, i) => {
    const ns = namespaces[n % namespaces.length]!;
    const name = `w${i}`;
    const image = 'example/app:1';
    const w = kind === 'jwt' || kind === 'jwt-forwarding'
      ? new JwtProtectedService(ns, name, { image, ports: [HTTP], issuers: [ISSUER], forwardOriginalToken: kind === 'jwt-forwarding' })
      : kind === 'versioned'
        ? new MeshWorkload(ns, name, { image, ports: [HTTP], versions: [{ name: 'v1' }, { name: 'v2' }], routes: [{ weights: { v1: 90, v2: 10 } }] })
        : kind === 'stateful'
          ? new MeshWorkload(ns, name, { image, ports: [TCP], persistentVolumes: [{ name: 'data', path: '/data', size: '1Gi' }] })
          : kind === 'legacy'
            // A client without a sidecar: plaintext, no identity, like a client outside the mesh.
            ? new MeshWorkload(ns, name, { image, sidecar: false })
            : new MeshWorkload(ns, name, { image, ports: kind === 'client' ? [] : [HTTP] });
    for (const label of kind === 'versioned' ? [`${name}-v1`, `${name}-v2`] : [name]) pods.push({ label, namespace: ns.name, serviceAccount: name, sidecar: kind !== 'legacy' });
    return w;
  });

  // Each accepted grant, as the predicate it stands for.
  const rules: { callee: MeshWorkload; admits: (pod: Pod | 'outside', token: 'none' | 'valid' | undefined) => boolean }[] = [];
  const denied = new Set<string>();
  let accepted = 0;
  const attempt = (fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (e) {
      if (e instanceof ZeroTrustConfigError) return false;
      throw e;
    }
  };

  for (const g of s.grants) {
    const from = workloads[g.from % workloads.length]!;
    const to = workloads[g.to % workloads.length]!;
    const port = to.ports[0];
    if (!port) continue;
    const caller: ICaller = g.caller === 'workload' ? from
      : g.caller === 'namespace' ? from.namespace
        : g.caller === 'any-authenticated' ? Callers.anyAuthenticatedWorkload()
          : g.caller === 'anyone' ? Callers.anyone()
            : Callers.serviceAccount(from.namespace.name, from.serviceAccountName);
    const jwt = to instanceof JwtProtectedService;
    const endUser = jwt ? g.endUser : 'none';
    const options = {
      endUser,
      ...(g.narrow && port.isHttp ? { methods: ['GET'], paths: ['/items/*'] } : {}),
      ...(g.claims && jwt ? { claims: { groups: ['admin'] } } : {}),
    };
    if (!attempt(() => to.allowFrom(caller, options))) continue;
    accepted++;
    const source = (pod: Pod | 'outside'): boolean => {
      if (pod === 'outside' || !pod.sidecar) return g.caller === 'anyone';
      switch (g.caller) {
        case 'workload': case 'service-account': return pod.namespace === from.namespace.name && pod.serviceAccount === from.serviceAccountName;
        case 'namespace': return pod.namespace === from.namespace.name;
        default: return true;
      }
    };
    rules.push({
      callee: to,
      admits: (pod, token) => (endUser === 'required' ? source(pod) && token === 'valid'
        : endUser === 'either' ? source(pod) || token === 'valid'
          : source(pod)),
    });
  }

  // A token-checking service whose every grant says endUser "none" is refused at synth (its
  // RequestAuthentication would require nothing); give such a service one grant that needs a token.
  for (const to of workloads) {
    if (to instanceof JwtProtectedService && to.grants.length > 0 && to.grants.every((g) => g.endUser === 'none')) {
      to.allowFrom(Callers.anyAuthenticatedWorkload(), { endUser: 'required' });
      rules.push({ callee: to, admits: (pod, token) => pod !== 'outside' && pod.sidecar && token === 'valid' });
    }
  }

  // Whole-port denials by identity; refused (skipped) where the port accepts plaintext.
  for (const [f, t] of s.denials) {
    const from = workloads[f % workloads.length]!;
    const to = workloads[t % workloads.length]!;
    if (attempt(() => to.denyFrom(from))) denied.add(`${from.namespace.name}/${from.serviceAccountName} -> ${to.namespace.name}/${to.name}`);
  }

  // The ingress: its grant from the gateway's identity, with the token where the service checks one.
  const gateway = mesh.ingressGateway;
  const gatewayPod: Pod = { label: 'ingress', namespace: gateway.namespace, serviceAccount: gateway.serviceAccount, sidecar: true };
  let ingressTarget: MeshWorkload | undefined;
  if (s.ingress !== undefined) {
    const target = workloads[s.ingress % workloads.length]!;
    if (target.ports[0]?.isHttp && attempt(() => new MeshIngress(namespaces[0]!, 'public', { host: 'app.example.com', service: target, tlsCredentialName: 'app-tls' }))) {
      ingressTarget = target;
      accepted++;
      const jwt = target instanceof JwtProtectedService;
      rules.push({ callee: target, admits: (pod, token) => pod !== 'outside' && pod.label === 'ingress' && (!jwt || token === 'valid') });
    }
  }

  const expected = new Set<string>();
  for (const to of workloads) {
    const port = to.ports[0];
    if (!port) continue;
    const jwt = to instanceof JwtProtectedService;
    const strict = to.mtlsOf(port) === MtlsMode.STRICT;
    const mine = rules.filter((r) => r.callee === to);
    const cell = (from: string, token: string | undefined) => `${from} -> ${to.namespace.name}/${to.name}:${port.port}${token ? ` [${token}]` : ''}`;
    // Only a routed service is reachable through the gateway at all.
    const callers = to === ingressTarget ? [...pods, gatewayPod] : pods;
    for (const token of jwt ? (['none', 'valid'] as const) : [undefined]) {
      for (const pod of callers) {
        // Without a sidecar a pod speaks plaintext, which STRICT resets before any policy runs.
        if (!pod.sidecar && strict) continue;
        if (denied.has(`${pod.namespace}/${pod.serviceAccount} -> ${to.namespace.name}/${to.name}`)) continue;
        if (mine.some((r) => r.admits(pod, token))) expected.add(cell(pod.label === 'ingress' ? 'ingress' : `${pod.namespace}/${pod.label}`, token));
      }
      // A plaintext client outside the mesh is reset by STRICT before any policy runs.
      if (!strict && mine.some((r) => r.admits('outside', token))) expected.add(cell('outside', token));
    }
  }
  return { mesh, expected, accepted };
}

describe.each([['sidecar', Dataplane.SIDECAR], ['ambient', Dataplane.AMBIENT]] as const)('property (%s): what the constructs accept, the analyzer accepts, and the matrix allows exactly the grants', (_name, dataplane) => {
  test('random meshes of every workload and caller kind', async () => {
    let grantsSeen = 0;
    let edgesSeen = 0;
    await fc.assert(fc.asyncProperty(spec, async (s) => {
      const { mesh, expected, accepted } = build(s, dataplane);
      grantsSeen += accepted;
      // The gate: throws MeshAnalysisError on any analyzer error.
      const synthesis = mesh.synthesize();
      expect(synthesis.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const simulator = new AccessSimulator(new MeshModel(synthesis.manifests.map((manifest) => ({ manifest: manifest as Manifest }))), {
        ingressGateway: { namespace: mesh.ingressGateway.namespace, serviceAccount: mesh.ingressGateway.serviceAccount, labels: mesh.ingressGateway.selector },
      });
      const allowed = (await accessMatrix(simulator)).filter((c) => c.outcome === 'allow')
        .map((c) => `${c.from} -> ${c.to}:${c.port}${c.token ? ` [${c.token}]` : ''}`);
      expect(allowed.sort()).toEqual([...expected].sort());
      edgesSeen += expected.size;
    }), { numRuns: 150 });
    // The property is only worth something if the constructs accepted a fair share of grants.
    expect(grantsSeen).toBeGreaterThan(100);
    expect(edgesSeen).toBeGreaterThan(150);
  }, 180_000);
});

describe('property: on the ambient data plane, what the constructs accept the analyzer accepts, and every grant is where it is enforced', () => {
  const L7 = /"(methods|paths|hosts|notMethods|notPaths|notHosts|requestPrincipals|notRequestPrincipals|remoteIpBlocks|notRemoteIpBlocks)"/;
  type O = Manifest & { spec?: any };
  test('random meshes of every workload and caller kind', () => {
    let grantsSeen = 0;
    let boundSeen = 0;
    fc.assert(fc.property(spec, (s) => {
      const { mesh, accepted } = build(s, Dataplane.AMBIENT);
      grantsSeen += accepted;
      const synthesis = mesh.synthesize();
      expect(synthesis.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const objects = synthesis.manifests as O[];
      const of = (kind: string) => objects.filter((o) => o.kind === kind);
      expect(of('Sidecar')).toEqual([]);
      // ztunnel drops L7 fields: no selector policy carries any.
      for (const p of of('AuthorizationPolicy').filter((x) => !x.spec.targetRefs)) expect(JSON.stringify(p.spec.rules ?? [])).not.toMatch(L7);
      const bound = new Map(of('Service').filter((svc) => svc.metadata.labels?.['istio.io/use-waypoint'])
        .map((svc) => [`${svc.metadata.namespace}/${svc.metadata.name}`, svc.metadata.labels!['istio.io/use-waypoint']!]));
      boundSeen += bound.size;
      for (const [key, waypoint] of bound) {
        const [ns, name] = key.split('/') as [string, string];
        // The waypoint exists where the label looks for it, with the one HBONE listener.
        const gateway = objects.find((o) => o.kind === 'Gateway' && o.apiVersion === 'gateway.networking.k8s.io/v1' && o.metadata.namespace === ns && o.metadata.name === waypoint);
        expect(gateway?.spec).toEqual({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
        // ztunnel admits the waypoint alone.
        const l4 = of('AuthorizationPolicy').find((p) => p.metadata.namespace === ns && p.metadata.name === `${name}-require-waypoint`);
        expect(l4?.spec.rules).toEqual([{ from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/${waypoint}`] } }] }]);
      }
      // Nothing attached by targetRefs to a Service without a waypoint: it would be enforced nowhere.
      for (const p of [...of('AuthorizationPolicy'), ...of('RequestAuthentication')]) {
        for (const t of p.spec.targetRefs ?? []) {
          if (t.kind === 'Service') expect(bound.has(`${p.metadata.namespace}/${t.name}`)).toBe(true);
          else expect(t).toEqual({ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' });
        }
      }
      // Every workload's grants are in the policy where they are enforced: by targetRefs when its
      // Service is bound, by selector otherwise; token checks are where the grants are.
      for (const w of mesh.node.findAll().filter((c): c is MeshWorkload => c instanceof MeshWorkload && c.grants.length > 0)) {
        const policy = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === w.namespace.name && o.metadata.name === w.name)!;
        const atWaypoint = bound.has(`${w.namespace.name}/${w.name}`);
        expect(policy.spec.targetRefs !== undefined).toBe(atWaypoint);
        expect(policy.spec.rules).toHaveLength(w.grants.reduce((n, g) => n + g.rules.length, 0));
        if (w.grants.some((g) => g.methods.length > 0 || g.paths.length > 0 || g.endUser !== 'none')) expect(atWaypoint).toBe(true);
        const ra = objects.find((o) => o.kind === 'RequestAuthentication' && o.metadata.namespace === w.namespace.name && o.metadata.name === w.name);
        if (ra) expect(ra.spec.targetRefs !== undefined).toBe(atWaypoint);
      }
    }), { numRuns: 150 });
    expect(grantsSeen).toBeGreaterThan(100);
    expect(boundSeen).toBeGreaterThan(50);
  }, 120_000);
});
