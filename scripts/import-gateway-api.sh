#!/usr/bin/env bash
# Regenerates the typed Kubernetes Gateway API classes in imports/ (Gateway, HTTPRoute,
# ReferenceGrant) and the schemas the tests validate them against, from the published CRDs.
# Usage: scripts/import-gateway-api.sh <gateway-api-crds directory>
#   e.g. scripts/import-gateway-api.sh ../shared/gateway-api-crds
# The directory holds standard-install.yaml: the Gateway API's Standard-channel CRDs (v1.5.1, the
# release Istio 1.30 pins in its go.mod). Writes:
#   imports/gateway.networking.k8s.io.ts         Gateway, HttpRoute, ReferenceGrant (and the
#                                                CRDs' older versions, suffixed: GatewayV1Beta1...)
#   test/fixtures/gateway-api-crds/<crd>.json    each CRD's served v1 openAPIV3Schema, descriptions removed
# Only this script reads the CRD directory; the project and its tests read what it writes.
set -euo pipefail
crds=${1:?usage: scripts/import-gateway-api.sh <directory holding standard-install.yaml>}
crds=$(cd "$crds" && pwd)
cd "$(dirname "$0")/.."
[ -f "$crds/standard-install.yaml" ] || { echo "scripts/import-gateway-api.sh: $crds/standard-install.yaml not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the three CRDs the constructs emit: the whole file also generates GatewayClass, GRPCRoute,
# BackendTLSPolicy and ListenerSet, about 700 KB of TypeScript that every type check and build
# would compile. The documents are picked by CRD name, not by position; the same pass writes the
# schema fixtures, so classes and schemas always come from the same CRDs.
node --input-type=module - "$crds" "$tmp" <<'EOF'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const [crds, tmp] = process.argv.slice(2);
const WANTED = [
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'referencegrants.gateway.networking.k8s.io',
];

function withoutDescriptions(value) {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value)
    .filter(([key, v]) => !(key === 'description' && typeof v === 'string'))
    .map(([key, v]) => [key, withoutDescriptions(v)]));
}

const docs = parseAllDocuments(readFileSync(join(crds, 'standard-install.yaml'), 'utf8')).map((d) => d.toJS());
const fixtures = 'test/fixtures/gateway-api-crds';
mkdirSync(fixtures, { recursive: true });
const picked = [];
for (const name of WANTED) {
  const crd = docs.find((d) => d?.kind === 'CustomResourceDefinition' && d.metadata?.name === name);
  if (!crd) throw new Error(`standard-install.yaml: no CustomResourceDefinition named ${name}`);
  const served = crd.spec.versions.find((v) => v.name === 'v1' && v.served);
  if (!served) throw new Error(`standard-install.yaml: ${name} does not serve v1; the constructs emit v1`);
  picked.push(crd);
  const fixture = {
    source: 'standard-install.yaml of the gateway-api-crds directory (scripts/import-gateway-api.sh), descriptions removed',
    apiVersion: `${crd.spec.group}/v1`,
    kind: crd.spec.names.kind,
    scope: crd.spec.scope,
    schema: withoutDescriptions(served.schema.openAPIV3Schema),
  };
  writeFileSync(join(fixtures, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
}
writeFileSync(join(tmp, 'gateway-api-crds.yaml'), picked.map((crd) => stringify(crd)).join('---\n'));
EOF

# Run from the temporary directory: in a directory with a cdk8s.yaml, `cdk8s import` adds
# each imported file to that cdk8s.yaml's `imports` (and drops its comments).
cdk8s=$PWD/node_modules/.bin/cdk8s
(cd "$tmp" && "$cdk8s" import gateway-api-crds.yaml --language typescript --output out --no-check-upgrade)
cp "$tmp/out/gateway.networking.k8s.io.ts" imports/gateway.networking.k8s.io.ts
echo "imports/gateway.networking.k8s.io.ts and test/fixtures/gateway-api-crds/ regenerated from $crds"
