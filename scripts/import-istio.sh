#!/usr/bin/env bash
# Regenerates imports/ (typed Istio API classes) from Istio's published CRDs.
# Usage: scripts/import-istio.sh <crd-all.gen.yaml | URL>
#   e.g. scripts/import-istio.sh ../shared/istio-crds/crd-all.gen.yaml
#   or   scripts/import-istio.sh https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/charts/base/files/crd-all.gen.yaml
set -euo pipefail
src=${1:?usage: scripts/import-istio.sh <crd-all.gen.yaml or URL>}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx cdk8s import "$src" --language typescript --output "$tmp"
for group in security networking telemetry; do
  # The CRDs carry both a field and its legacy snake_case alias (jwksUri / jwks_uri; also
  # mirrorPercent / mirror_percent, which we do not emit); the generator folds each pair into one TypeScript
  # property that writes the alias. Write the canonical field Istio documents instead.
  sed -e "s/'jwks_uri': obj.jwksUri/'jwksUri': obj.jwksUri/" "$tmp/$group.istio.io.ts" > "imports/$group.istio.io.ts"
done
echo "imports/ regenerated from $src"
