// A real Kubernetes API server for tests, when one is given: ZT_TEST_KUBECONFIG names its
// kubeconfig (`.ci/run` starts one and sets it). Tests that need it are skipped otherwise, with
// the way to run them in their title. Objects go through `kubectl` (its discovery and apply),
// as a user's pipeline would send them.
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';

/** The kubeconfig of the test API server, or undefined when none was started. */
export const TEST_KUBECONFIG = process.env.ZT_TEST_KUBECONFIG || undefined;

/** How to run the skipped tests, for their titles. */
export const HOW_TO_RUN = 'skipped: no API server (start one: eval "$(../shared/kube-apiserver/start.sh --crds ../shared/istio-crds/crd-all.gen.yaml)"; export ZT_TEST_KUBECONFIG=$KUBECONFIG; as .ci/run does)';

/** `describe` when the server is there, `describe.skip` with the instructions otherwise. */
export const describeWithApiServer = (title: string, fn: () => void): void => {
  if (TEST_KUBECONFIG) describe(title, fn);
  else describe.skip(`${title} (${HOW_TO_RUN})`, fn);
};

export interface KubectlResult { readonly code: number; readonly stdout: string; readonly stderr: string }

/** Runs kubectl against the test server with `input` on stdin. */
export function kubectl(args: readonly string[], input?: string): KubectlResult {
  const result = spawnSync('kubectl', ['--kubeconfig', TEST_KUBECONFIG!, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

interface Named { readonly kind: string; readonly metadata: { readonly name: string; readonly namespace?: string } }

/**
 * A server-side dry run of `manifests`, as `kubectl apply --dry-run=server` does it: the API
 * server validates each object (schemas, CRD CEL rules, built-in validation) and persists
 * nothing. The namespaces the objects live in are created first for real (a dry run needs them).
 */
export function serverDryRun(manifests: readonly Named[]): KubectlResult {
  const namespaces = [...new Set(manifests.flatMap((m) => (m.metadata.namespace ? [m.metadata.namespace] : [])))].sort();
  const created = kubectl(['apply', '-f', '-'], namespaces.map((name) => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).join('---\n'));
  if (created.code !== 0) return created;
  return kubectl(['apply', '--dry-run=server', '-f', '-'], manifests.map((m) => stringify(m)).join('---\n'));
}
