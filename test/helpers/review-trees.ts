// Synthesized trees for `zt-mesh review`: a small shop mesh built with the constructs, in variants
// that a pull request might turn one into the other, written as MeshApp writes an environment.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App } from 'cdk8s';
import { Mesh, MeshWorkload, ServicePort, ZeroTrustNamespace } from '../../constructs/index.js';
import { renderEnvironment, replaceDirectory, type Manifest } from '../../manifests/index.js';

/** Which grants the shop's `api` has besides the client's, and what sits beside the constructs. */
export interface ShopVariant {
  /** worker → api, POST (reason "files orders"). */
  readonly workerGrant?: boolean;
  /** reporter → api, GET /reports (reason "builds the nightly report"). */
  readonly reporterGrant?: boolean;
  /** A hand-written PERMISSIVE PeerAuthentication on api, which the analyzer reports as an error (ZT201). */
  readonly plaintextLegacy?: boolean;
}

/**
 * Namespace `shop`: `api` (HTTP 8000 → 8080) granted to `client` (GET, "reads the catalogue"), and
 * the callers `client`, `worker` and `reporter`, present in every variant so only grants differ.
 */
export function shopManifests(variant: ShopVariant = {}): Manifest[] {
  const mesh = new Mesh(new App(), 'shop-mesh', { stage: 'prod' });
  const ns = new ZeroTrustNamespace(mesh, 'shop');
  const workload = (name: string, ports: ServicePort[] = []) => new MeshWorkload(ns, name, { image: `registry.example.com/${name}:1.0`, ports });
  const api = workload('api', [ServicePort.http(8000, { targetPort: 8080 })]);
  const client = workload('client');
  const worker = workload('worker');
  const reporter = workload('reporter');
  api.allowFrom(client, { methods: ['GET'], reason: 'reads the catalogue' });
  if (variant.workerGrant) api.allowFrom(worker, { methods: ['POST'], reason: 'files orders' });
  if (variant.reporterGrant) api.allowFrom(reporter, { methods: ['GET'], paths: ['/reports'], reason: 'builds the nightly report' });
  if (variant.plaintextLegacy) {
    new ApiObject(ns, 'legacy-plaintext', {
      apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication',
      metadata: { name: 'legacy', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, mtls: { mode: 'PERMISSIVE' } },
    });
  }
  return mesh.toJson() as Manifest[];
}

/** The pull request of the tests: the worker's grant goes, the reporter's comes, and a plaintext exception slips in. */
export const BASE_SHOP: ShopVariant = { workerGrant: true };
export const HEAD_SHOP: ShopVariant = { reporterGrant: true, plaintextLegacy: true };

/** Writes a tree, one directory per environment holding MeshApp's files; returns its path. */
export function writeTree(environments: Readonly<Record<string, readonly Manifest[]>>, root = mkdtempSync(join(tmpdir(), 'zt-review-'))): string {
  mkdirSync(root, { recursive: true });
  for (const [environment, manifests] of Object.entries(environments)) {
    replaceDirectory(root, environment, renderEnvironment({ environment, rootNamespace: 'istio-system', manifests }));
  }
  return root;
}
