// A real Kubernetes API server for tests, when one is given: ZT_TEST_KUBECONFIG names its
// kubeconfig (`.ci/run` starts one and sets it). Tests that need it are skipped otherwise, with
// the way to run them in their title. Objects go through `kubectl` (its discovery and apply),
// as a user's pipeline would send them.
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';

/** The kubeconfig of the test API server, or undefined when none was started. */
export const TEST_KUBECONFIG = process.env.ZT_TEST_KUBECONFIG || undefined;

/** How to run the skipped tests, for their titles. */
export const HOW_TO_RUN = 'skipped: no API server (start one: eval "$(../shared/kube-apiserver/start.sh --crds ../shared/istio-crds/crd-all.gen.yaml --crds ../shared/gitops-crds/argocd.yaml --crds ../shared/gitops-crds/flux.yaml --crds ../shared/gateway-api-crds/standard-install.yaml)"; export ZT_TEST_KUBECONFIG=$KUBECONFIG; as .ci/run does)';

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
  const created = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], namespaces.map((name) => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).join('---\n'));
  if (created.code !== 0) return created;
  // Server-side, forcing conflicts: objects other tests applied for real may share these names.
  return kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=zero-trust-mesh-dry-run', '--dry-run=server', '-f', '-'], manifests.map((m) => stringify(m)).join('---\n'));
}

/** The field manager the tests apply with, as a GitOps controller would use its own. */
export const FIELD_MANAGER = 'zero-trust-mesh-test';

/** A server-side apply of a kustomize directory (`kubectl apply --server-side -k`). */
export function applyKustomization(dir: string): KubectlResult {
  return kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-k', dir]);
}

/** A server-side apply of objects (`kubectl apply --server-side -f -`). */
export function applyObjects(manifests: readonly Named[]): KubectlResult {
  return kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], manifests.map((m) => stringify(m)).join('---\n'));
}

/** The objects as the server stores them (one `kubectl get -f -`), by `Kind/namespace/name`; absent ones are missing. */
export function storedObjects(manifests: readonly Named[]): Map<string, Record<string, unknown>> {
  const result = kubectl(['get', '--ignore-not-found', '-o', 'json', '-f', '-'], manifests.map((m) => stringify(m)).join('---\n'));
  if (result.code !== 0) throw new Error(`kubectl get failed: ${result.stderr}`);
  const list = JSON.parse(result.stdout) as { items?: Named[] } & Named;
  const items = list.items ?? [list];
  return new Map(items.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o as unknown as Record<string, unknown>]));
}

/**
 * Where `sent` differs from what the server stored: every field sent must be stored with the same
 * value (the server may add defaults and status around it). Returns the differing paths.
 */
export function differences(sent: unknown, kept: unknown, path = ''): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(kept) || kept.length !== sent.length) return [`${path}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(kept)}`];
    return sent.flatMap((item, i) => differences(item, kept[i], `${path}[${i}]`));
  }
  if (sent !== null && typeof sent === 'object') {
    if (kept === null || typeof kept !== 'object' || Array.isArray(kept)) return [`${path}: sent an object, stored ${JSON.stringify(kept)}`];
    return Object.entries(sent).flatMap(([key, value]) => differences(value, (kept as Record<string, unknown>)[key], `${path}.${key}`));
  }
  return sent === kept ? [] : [`${path}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(kept)}`];
}
