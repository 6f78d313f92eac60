// Istio's own samples are valid configuration: the analyzer must call none of them broken.
// What it may still report are this project's zero-trust policy findings (plain HTTP ingress,
// PERMISSIVE by default, no default deny), which Istio accepts but a zero-trust mesh refuses:
// each of those is an acknowledgeable risk or a warning, never a claim that Istio rejects it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyzePaths, CHECKS } from '../../analysis/index.js';

const ROOT = join(process.cwd(), 'test/fixtures/istio-samples');
const files = (readdirSync(ROOT, { recursive: true }) as string[]).filter((f) => f.endsWith('.yaml')).sort();
/** Codes that are zero-trust policy, not validity: each is acknowledgeable by annotation. */
const POLICY = new Set(CHECKS.filter((c) => c.acknowledgement !== undefined).map((c) => c.code));

/** The errors `zt-mesh analyze` reports on these files, policy findings aside. */
function errorsIn(paths: readonly string[]): string[] {
  return analyzePaths(paths.map((p) => join(ROOT, p))).filter((f) => f.severity === 'error' && !POLICY.has(f.code)).map((f) => `${f.code} ${f.message}`);
}

describe('Istio\'s samples', () => {
  test('the fixtures are there (61 files)', () => {
    expect(files).toHaveLength(61);
  });

  test.each(files)('%s alone: no error (references outside the file are not judged)', (file) => {
    expect(errorsIn([file])).toEqual([]);
  });

  test.each<[string, string[]]>([
    ['Bookinfo with its gateway, every subset and the v1 routes', ['bookinfo/platform/kube/bookinfo.yaml', 'bookinfo/networking/bookinfo-gateway.yaml', 'bookinfo/networking/destination-rule-all.yaml', 'bookinfo/networking/virtual-service-all-v1.yaml']],
    ['Bookinfo, mTLS subsets, reviews 50/50 v3', ['bookinfo/platform/kube/bookinfo.yaml', 'bookinfo/networking/destination-rule-all-mtls.yaml', 'bookinfo/networking/virtual-service-reviews-50-v3.yaml']],
    ['Bookinfo, jason to v2', ['bookinfo/platform/kube/bookinfo.yaml', 'bookinfo/networking/destination-rule-all.yaml', 'bookinfo/networking/virtual-service-reviews-test-v2.yaml']],
    ['tcp-echo with its gateway and the 80/20 shift', ['tcp-echo/tcp-echo-services.yaml', 'tcp-echo/tcp-echo-all-v1.yaml']],
    ['httpbin behind its gateway', ['httpbin/httpbin.yaml', 'httpbin/httpbin-gateway.yaml']],
  ])('%s, analyzed together: no error', (_, paths) => {
    expect(errorsIn(paths)).toEqual([]);
  });
});
