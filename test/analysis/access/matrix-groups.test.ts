import { App } from 'cdk8s';
import fc from 'fast-check';
import { Callers, Mesh, MeshWorkload, MtlsMode, ServicePort, ZeroTrustNamespace } from '../../../constructs/index.js';
import { ENVIRONMENTS } from '../../../infra/environment.js';
import { synthesizeEnvironment } from '../../infra/reference.js';
import type { Manifest } from '../../../manifests/index.js';
import { accessMatrix, forEachMatrixCell, forEachMatrixColumn, MatrixCell } from '../../../analysis/access/matrix.js';
import { formatMatrix, MatrixWriter } from '../../../analysis/access/report.js';
import { AccessSimulator, OutboundTrafficPolicyMode } from '../../../analysis/access/simulator.js';
import { MeshModel } from '../../../analysis/model.js';
import { defineSyntheticMesh } from '../../../bench/synthetic-mesh.js';

// The matrix decides the callers a destination's policies cannot tell apart by one representative
// per group (analysis/access/matrix.ts, CallerSignatures). These tests hold it to the matrix
// computed caller by caller: the same cells, in the same order, with the same reasons.

const simulatorOf = (manifests: readonly Manifest[], outbound?: OutboundTrafficPolicyMode) =>
  new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), outbound ? { outboundTrafficPolicy: outbound } : {});

async function expectSameAsEveryCaller(manifests: readonly Manifest[], outbound?: OutboundTrafficPolicyMode): Promise<MatrixCell[]> {
  const grouped = await accessMatrix(simulatorOf(manifests, outbound));
  const exhaustive = await accessMatrix(simulatorOf(manifests, outbound), { everyCaller: true });
  expect(grouped.length).toBe(exhaustive.length);
  // Compared cell by cell so that a failure names the cell, not a diff of thousands.
  for (const [i, cell] of exhaustive.entries()) expect(grouped[i]).toEqual(cell);
  return grouped;
}

/** A NetworkPolicy without its egress half. */
function ingressOnly(m: Manifest): Manifest {
  const { egress: _egress, ...spec } = m.spec as Record<string, unknown>;
  return { ...m, spec: { ...spec, policyTypes: ['Ingress'] } } as Manifest;
}

describe('the matrix by caller groups equals the matrix caller by caller', () => {
  test.each(['dev', 'staging', 'prod'])('reference mesh, %s', async (env) => {
    const cells = await expectSameAsEveryCaller(synthesizeEnvironment(ENVIRONMENTS[env]!).manifests);
    expect(cells.filter((c) => c.reason.includes('\u0000'))).toEqual([]);
  });

  const synthetic = (n: number) => defineSyntheticMesh(new App(), n).toJson() as Manifest[];

  test('the benchmark mesh (NetworkPolicies, a REGISTRY_ONLY Sidecar per namespace), with and without its Sidecars', async () => {
    const manifests = synthetic(40);
    const cells = await expectSameAsEveryCaller(manifests);
    // Each service is reached by its predecessor with a valid token and by nobody else.
    const allowed = cells.filter((c) => c.outcome === 'allow' && c.from !== 'ingress');
    expect(allowed.length).toBe(39);
    expect(cells.some((c) => c.outcome === 'blocked')).toBe(true);
    // Without the Sidecars, ALLOW_ANY lets every request out: the NetworkPolicies and the
    // AuthorizationPolicies decide, with the caller's pod labels and egress policies in play.
    const open = await expectSameAsEveryCaller(manifests.filter((m) => m.kind !== 'Sidecar'));
    expect(open.some((c) => c.outcome === 'dropped' && /egress of team-\d+\/svc-\d+/.test(c.reason))).toBe(true);
    // Ingress isolation alone, and one more NetworkPolicy that admits a pod the
    // AuthorizationPolicy does not name: callers of one namespace and scope now differ by their
    // pod labels as the destination's NetworkPolicies see them.
    const wider: Manifest = {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'svc-00003-from-svc-00005', namespace: 'team-0000' },
      spec: { podSelector: { matchLabels: { app: 'svc-00003' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'svc-00005' } } }] }] },
    } as Manifest;
    const ingress = await expectSameAsEveryCaller([...manifests.filter((m) => m.kind !== 'Sidecar').map((m) => (m.kind === 'NetworkPolicy' ? ingressOnly(m) : m)), wider]);
    const to3 = (from: string) => ingress.find((c) => c.from === from && c.to === 'team-0000/svc-00003' && c.token === 'valid')!;
    expect(to3('team-0000/svc-00005').outcome).toBe('deny-403');
    expect(to3('team-0000/svc-00006')).toMatchObject({ outcome: 'dropped', reason: expect.stringMatching(/ingress of .* \(from team-0000\/svc-00006\)/) });
    // Without NetworkPolicies either: the policies' verdict, naming each caller's own identity.
    const bare = await expectSameAsEveryCaller(manifests.filter((m) => m.kind !== 'Sidecar' && m.kind !== 'NetworkPolicy'), 'REGISTRY_ONLY');
    const denied = bare.find((c) => c.from === 'team-0001/svc-00012' && c.to === 'team-0000/svc-00003' && c.token === 'valid')!;
    expect(denied.outcome).toBe('deny-403');
    expect(denied.reason).toContain('peer cluster.local/ns/team-0001/sa/svc-00012');
  });

  test('property: random meshes of grants, namespaces and shared service accounts', async () => {
    const NAMESPACES = ['prod', 'production', 'web'];
    const spec = fc.record({
      workloads: fc.array(fc.record({ ns: fc.nat({ max: 2 }), tcp: fc.boolean(), sharedAccount: fc.boolean() }), { minLength: 2, maxLength: 7 }),
      grants: fc.array(fc.record({ from: fc.nat(), to: fc.nat(), kind: fc.constantFrom('workload', 'namespace', 'any-authenticated', 'anyone') }), { maxLength: 8 }),
      dropSidecars: fc.boolean(),
      dropNetworkPolicies: fc.boolean(),
      ingressOnly: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(spec, async (s) => {
      let manifests: Manifest[];
      try {
        manifests = build(s);
      } catch (error) {
        // Combinations the constructs refuse (two workloads of one namespace sharing an account).
        if ((error as Error).name === 'ZeroTrustConfigError') return;
        throw error;
      }
      manifests = manifests.filter((m) => !(s.dropSidecars && m.kind === 'Sidecar') && !(s.dropNetworkPolicies && m.kind === 'NetworkPolicy'));
      // Ingress isolation alone: then the destination's ingress rules, not the caller's egress
      // rules, tell the callers' pods apart.
      if (s.ingressOnly) manifests = manifests.map((m) => (m.kind === 'NetworkPolicy' ? ingressOnly(m) : m));
      await expectSameAsEveryCaller(manifests);
    }), { numRuns: 40 });

    function build(s: { workloads: { ns: number; tcp: boolean; sharedAccount: boolean }[]; grants: { from: number; to: number; kind: string }[] }): Manifest[] {
      const mesh = new Mesh(new App(), 'groups', { stage: 'dev', mtls: MtlsMode.STRICT });
      const namespaces = NAMESPACES.map((name) => new ZeroTrustNamespace(mesh, name));
      const workloads = s.workloads.map((w, i) => new MeshWorkload(namespaces[w.ns]!, `app-${i}`, {
        image: 'example/app:1.0',
        ports: [w.tcp ? ServicePort.tcp(5000 + i, { suffix: 'db' }) : ServicePort.http(8000, { targetPort: 8080 })],
        ...(w.sharedAccount ? { serviceAccountName: 'shared' } : {}),
      }));
      for (const { from, to, kind } of s.grants) {
        const caller = workloads[from % workloads.length]!;
        const callee = workloads[to % workloads.length]!;
        if (caller === callee && kind === 'workload') continue;
        const grantee = kind === 'workload' ? caller : kind === 'namespace' ? caller.namespace
          : kind === 'any-authenticated' ? Callers.anyAuthenticatedWorkload() : Callers.anyone();
        callee.allowFrom(grantee, !callee.ports[0]!.isHttp ? {} : { methods: ['GET'], paths: ['/items/*'] });
      }
      return mesh.toJson() as Manifest[];
    }
  });
});

describe('the matrix written as it is computed', () => {
  test('JSON, text and markdown are the one-string views, byte for byte, written in pieces', async () => {
    const simulator = simulatorOf(synthesizeEnvironment(ENVIRONMENTS.dev!).manifests);
    const cells = await accessMatrix(simulator);
    expect(formatMatrix(cells, 'json')).toBe(`${JSON.stringify(cells, null, 2)}\n`);
    expect(formatMatrix([], 'json')).toBe(`${JSON.stringify([], null, 2)}\n`);
    for (const format of ['json', 'text', 'markdown'] as const) {
      const pieces: string[] = [];
      const writer = new MatrixWriter(format, (chunk) => { pieces.push(chunk); });
      const count = await forEachMatrixCell(simulatorOf(synthesizeEnvironment(ENVIRONMENTS.dev!).manifests), (cell) => writer.add(cell));
      writer.end();
      expect(count).toBe(cells.length);
      expect(pieces.join('')).toBe(formatMatrix(cells, format));
      // Never the whole view at once: JSON a piece per cell, the grids at least a piece per caller.
      if (format === 'json') expect(pieces.length).toBe(cells.length + 1);
      else expect(pieces.length).toBeGreaterThanOrEqual(new Set(cells.map((c) => c.from)).size);
      // Column by column (as the CLI writes it): the same bytes.
      const byColumn: string[] = [];
      const columnWriter = new MatrixWriter(format, (chunk) => { byColumn.push(chunk); });
      expect(await forEachMatrixColumn(simulatorOf(synthesizeEnvironment(ENVIRONMENTS.dev!).manifests), (column) => columnWriter.addColumn(column))).toBe(cells.length);
      columnWriter.end();
      expect(byColumn.join('')).toBe(formatMatrix(cells, format));
    }
  });

  test('the benchmark mesh column by column: the cells of each column, in order, and the outcomes they report', async () => {
    const simulator = simulatorOf(defineSyntheticMesh(new App(), 30).toJson() as Manifest[]);
    const cells = await accessMatrix(simulator);
    const fromColumns: MatrixCell[] = [];
    let blockedGroups = 0;
    await forEachMatrixColumn(simulator, (column) => {
      column.from.forEach((from, row) => {
        const cell = column.cell(row);
        expect(cell.from).toBe(from);
        expect(column.outcome(row)).toBe(cell.outcome);
        fromColumns.push(cell);
      });
      if (column.to === 'team-0002/svc-00025' && column.token === 'valid') {
        // Callers of the two other namespaces are blocked by their own Sidecar, each naming itself.
        const blocked = column.from.filter((_, row) => column.outcome(row) === 'blocked');
        expect(blocked.length).toBe(20);
        for (const from of blocked) expect(column.cell(column.from.indexOf(from)).reason).toContain(` of ${from} does not import svc-00025.team-0002`);
        blockedGroups += 1;
      }
    });
    expect(blockedGroups).toBe(1);
    expect(fromColumns).toEqual(cells);
  });
});
