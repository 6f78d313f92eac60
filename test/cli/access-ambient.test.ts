import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../helpers/cli.js';

/** `zt-mesh access` on an ambient mesh (test/fixtures/ambient/bookinfo.yaml): the request fields and flags of ambient mode. */

const fixture = join(process.cwd(), 'test', 'fixtures', 'ambient', 'bookinfo.yaml');
const check = async (request: Record<string, unknown>, ...flags: string[]) => {
  const result = await runMain('access', 'check', '--manifests', fixture, '--request', JSON.stringify(request), ...flags);
  return { ...result, verdict: result.status === 0 ? JSON.parse(result.stdout) as { outcome: string; reason: string } : undefined };
};

describe('zt-mesh access check on ambient', () => {
  test('curl GET passes the waypoint and ztunnel; DELETE is denied at the waypoint', async () => {
    const get = await check({ from: { workload: 'default/curl' }, to: 'default/productpage', port: 9080, method: 'GET', path: '/productpage' });
    expect(get.verdict).toMatchObject({ outcome: 'allow', reason: expect.stringMatching(/ztunnel default\/productpage:9080: allowed by ztunnel:default\/productpage-ztunnel rule\[0\] \(HBONE from waypoint default\/waypoint/) });
    const del = await check({ from: { workload: 'default/curl' }, to: 'default/productpage', port: 9080, method: 'DELETE', path: '/productpage' });
    expect(del.verdict).toMatchObject({ outcome: 'deny-403', reason: expect.stringMatching(/^waypoint default\/waypoint: denied \(403\)/) });
  });

  test('pod-IP addressing bypasses the service waypoint, and ztunnel closes it', async () => {
    const r = await check({ from: { workload: 'default/curl' }, to: 'default/productpage', port: 9080, addressing: 'workload' });
    expect(r.verdict?.outcome).toBe('reset');
  });

  test('--feature changes the verdict; bad features and request fields are usage errors (exit 2)', async () => {
    const sidecar = { from: { workload: 'legacy/sleep' }, to: 'default/productpage', port: 9080 };
    expect((await check(sidecar)).verdict?.outcome).toBe('reset');
    const strict = join(mkdtempSync(join(tmpdir(), 'zt-ambient-')), 'strict.yaml');
    writeFileSync(strict, 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n');
    const both = await runMain('access', 'check', '--manifests', fixture, strict, '--request', JSON.stringify({ from: { outside: true, ip: '203.0.113.7' }, to: 'default/productpage', port: 9080 }));
    expect(JSON.parse(both.stdout).reason).toMatch(/STRICT/);
    // Without the waypoint's identity in productpage's L4 policy, PILOT_AUTO_ALLOW_WAYPOINT_POLICY is what lets curl through.
    const noWaypointSa = join(mkdtempSync(join(tmpdir(), 'zt-ambient-')), 'bookinfo.yaml');
    writeFileSync(noWaypointSa, readFileSync(fixture, 'utf8').replace('        - cluster.local/ns/default/sa/waypoint\n', ''));
    const viaWaypoint = { from: { workload: 'default/curl' }, to: 'default/productpage', port: 9080 };
    const plain = await runMain('access', 'check', '--manifests', noWaypointSa, '--request', JSON.stringify(viaWaypoint));
    expect(JSON.parse(plain.stdout).outcome).toBe('reset');
    const auto = await runMain('access', 'check', '--manifests', noWaypointSa, '--request', JSON.stringify(viaWaypoint), '--feature', 'PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true');
    expect(JSON.parse(auto.stdout)).toMatchObject({ outcome: 'allow', reason: expect.stringMatching(/implicit waypoint policy/) });
    for (const [args, message] of [
      [['--feature', 'NOPE=true'], /feature "NOPE" is not one the simulator models/],
      [['--feature', 'lowercase'], /must be NAME=VALUE/],
      [['--ztunnel-empty-selector', 'some'], /use all or none/],
    ] as const) {
      const r = await check(sidecar, ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    for (const [request, message] of [
      [{ ...sidecar, addressing: 'pod' }, /request\.addressing must be/],
      [{ ...sidecar, scheme: 'ftp' }, /request\.scheme must be/],
      [{ from: { outside: true, ip: 'not an ip' }, to: 'default/productpage', port: 9080 }, /request\.from must be/],
    ] as const) {
      const r = await check(request);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('zt-mesh access matrix and diff on ambient', () => {
  test('the matrix names the enforcement points; diff shows what a waypoint binding changes', async () => {
    const matrix = await runMain('access', 'matrix', '--manifests', fixture, '--format', 'json');
    expect(matrix.status).toBe(0);
    const cells = JSON.parse(matrix.stdout) as { from: string; to: string; outcome: string; reason: string }[];
    const cell = (from: string) => cells.find((c) => c.from === from && c.to === 'default/productpage')!;
    expect(cell('default/curl')).toMatchObject({ outcome: 'allow' });
    expect(cell('legacy/sleep')).toMatchObject({ outcome: 'reset', reason: expect.stringMatching(/BYPASS\(sidecar client/) });

    const dir = mkdtempSync(join(tmpdir(), 'zt-ambient-diff-'));
    const [before, after] = [join(dir, 'before'), join(dir, 'after')];
    mkdirSync(before);
    mkdirSync(after);
    copyFileSync(fixture, join(before, 'bookinfo.yaml'));
    // After: curl's namespace opts out of the waypoint, so productpage's L4 policy meets curl directly.
    writeFileSync(join(after, 'bookinfo.yaml'), readFileSync(fixture, 'utf8').replace('    istio.io/use-waypoint: waypoint\n', ''));
    const diff = await runMain('access', 'diff', before, after, '--format', 'json');
    expect(diff.status).toBe(0);
    const { lost } = JSON.parse(diff.stdout) as { lost: { from: string; to: string; before: string; after: string; reason: string }[] };
    expect(lost).toContainEqual(expect.objectContaining({ from: 'default/curl', to: 'default/productpage', before: 'allow', after: 'reset', reason: expect.stringMatching(/^ztunnel default\/productpage:9080: no-allow-matched/) }));
  });
});
