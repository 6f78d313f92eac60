#!/usr/bin/env bash
# Regenerates the typed Kubernetes Gateway API classes in imports/ (Gateway, HTTPRoute,
# ReferenceGrant) and the schemas the tests validate them against, from the published CRDs.
# Usage: scripts/import-gateway-api.sh <standard-install.yaml of the Gateway API release>
#   e.g. scripts/import-gateway-api.sh ../shared/gateway-api-crds/standard-install.yaml
# Use the release Istio pins (go.mod of istio/istio; v1.5.1 for Istio 1.30). Writes:
#   imports/gateway.networking.k8s.io.ts       Gateway and HTTPRoute (v1), ReferenceGrant (v1beta1)
#   test/fixtures/gateway-api-crds/<crd name>.json   each CRD's openAPIV3Schema, descriptions removed
# Only this script reads the CRD file; the project and its tests read what it writes.
set -euo pipefail
crds=${1:?usage: scripts/import-gateway-api.sh <Gateway API standard-install.yaml>}
[ -f "$crds" ] || { echo "scripts/import-gateway-api.sh: $crds not found" >&2; exit 1; }
crds=$(cd "$(dirname "$crds")" && pwd)/$(basename "$crds")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the three CRDs the constructs emit, each reduced to the one version they write, so the
# generator makes one class per kind with no version suffix: v1 for Gateway and HTTPRoute (the
# storage version), v1beta1 for ReferenceGrant. v1beta1 is ReferenceGrant's storage version,
# served by every release, and the version Istio 1.30 watches
# (istio@1.30.3:pkg/config/schema/metadata.yaml); v1 is served only from Gateway API v1.5 on.
# GatewayClass, GRPCRoute, BackendTLSPolicy and ListenerSet are left out (about 500 KB of
# TypeScript nothing uses). The same pass writes the schema fixtures.
node --input-type=module - "$crds" "$tmp" <<'EOF'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const [crds, tmp] = process.argv.slice(2);
const WANTED = [
  { name: 'gateways.gateway.networking.k8s.io', version: 'v1' },
  { name: 'httproutes.gateway.networking.k8s.io', version: 'v1' },
  { name: 'referencegrants.gateway.networking.k8s.io', version: 'v1beta1' },
];

function withoutDescriptions(value) {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value)
    .filter(([key, v]) => !(key === 'description' && typeof v === 'string'))
    .map(([key, v]) => [key, withoutDescriptions(v)]));
}

const docs = parseAllDocuments(readFileSync(crds, 'utf8')).map((d) => d.toJS());
const fixtures = 'test/fixtures/gateway-api-crds';
mkdirSync(fixtures, { recursive: true });
const picked = [];
for (const { name, version } of WANTED) {
  const crd = docs.find((d) => d?.kind === 'CustomResourceDefinition' && d.metadata?.name === name);
  if (!crd) throw new Error(`${crds}: no CustomResourceDefinition named ${name}`);
  const served = crd.spec.versions.find((v) => v.name === version && v.served);
  if (!served) throw new Error(`${crds}: ${name} does not serve ${version}; the constructs emit that version`);
  const bundle = crd.metadata.annotations?.['gateway.networking.k8s.io/bundle-version'] ?? 'unknown';
  picked.push(stringify({ ...crd, spec: { ...crd.spec, versions: [served] } }));
  const fixture = {
    source: `Gateway API ${bundle} standard channel (scripts/import-gateway-api.sh), descriptions removed`,
    apiVersion: `${crd.spec.group}/${version}`,
    kind: crd.spec.names.kind,
    scope: crd.spec.scope,
    schema: withoutDescriptions(served.schema.openAPIV3Schema),
  };
  writeFileSync(join(fixtures, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
}
writeFileSync(join(tmp, 'gateway-api.yaml'), picked.join('---\n'));
EOF

# Run from the temporary directory: in a directory with a cdk8s.yaml, `cdk8s import` adds
# each imported file to that cdk8s.yaml's `imports` (and drops its comments).
cdk8s=$PWD/node_modules/.bin/cdk8s
(cd "$tmp" && "$cdk8s" import gateway-api.yaml --language typescript --output out --no-check-upgrade)
cp "$tmp/out/gateway.networking.k8s.io.ts" imports/gateway.networking.k8s.io.ts
for class in Gateway HttpRoute ReferenceGrant; do
  grep -q "^export class $class extends ApiObject" imports/gateway.networking.k8s.io.ts \
    || { echo "scripts/import-gateway-api.sh: class $class not generated; check the CRD versions" >&2; exit 1; }
done
echo "imports/gateway.networking.k8s.io.ts and test/fixtures/gateway-api-crds/ regenerated from $crds"
