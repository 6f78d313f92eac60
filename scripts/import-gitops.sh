#!/usr/bin/env bash
# Regenerates the typed GitOps classes in imports/ (Argo CD Application, Flux GitRepository and
# Kustomization) and the schemas the tests validate them against, from the published CRDs.
# Usage: scripts/import-gitops.sh <gitops-crds directory>
#   e.g. scripts/import-gitops.sh ../shared/gitops-crds
# The directory holds argocd.yaml (Argo CD's manifests/crds, all three CRDs in one multi-document
# file) and flux.yaml (Flux's GitRepository and Kustomization CRDs). Writes:
#   imports/argoproj.io.ts                     Application only (argoproj.io/v1alpha1)
#   imports/source.toolkit.fluxcd.io.ts        GitRepository (source.toolkit.fluxcd.io/v1)
#   imports/kustomize.toolkit.fluxcd.io.ts     Kustomization (kustomize.toolkit.fluxcd.io/v1)
#   test/fixtures/gitops-crds/<crd name>.json  each CRD's openAPIV3Schema, descriptions removed
# Only this script reads the CRD directory; the project and its tests read what it writes.
set -euo pipefail
crds=${1:?usage: scripts/import-gitops.sh <directory holding argocd.yaml and flux.yaml>}
crds=$(cd "$crds" && pwd)
cd "$(dirname "$0")/.."
for file in argocd.yaml flux.yaml; do
  [ -f "$crds/$file" ] || { echo "scripts/import-gitops.sh: $crds/$file not found" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the Application CRD of argocd.yaml: importing the whole file also generates ApplicationSet
# (its CRD alone is 1.4 MB) and AppProject, 3.5 MB of TypeScript that every type check and build
# would compile. The documents are picked by CRD name, not by position. The same pass writes the
# schema fixtures, so classes and schemas always come from the same CRDs.
node --input-type=module - "$crds" "$tmp" <<'EOF'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const [crds, tmp] = process.argv.slice(2);
const WANTED = [
  { file: 'argocd.yaml', name: 'applications.argoproj.io', version: 'v1alpha1' },
  { file: 'flux.yaml', name: 'gitrepositories.source.toolkit.fluxcd.io', version: 'v1' },
  { file: 'flux.yaml', name: 'kustomizations.kustomize.toolkit.fluxcd.io', version: 'v1' },
];

function withoutDescriptions(value) {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value)
    .filter(([key, v]) => !(key === 'description' && typeof v === 'string'))
    .map(([key, v]) => [key, withoutDescriptions(v)]));
}

const fixtures = 'test/fixtures/gitops-crds';
mkdirSync(fixtures, { recursive: true });
for (const { file, name, version } of WANTED) {
  const docs = parseAllDocuments(readFileSync(join(crds, file), 'utf8')).map((d) => d.toJS());
  const crd = docs.find((d) => d?.kind === 'CustomResourceDefinition' && d.metadata?.name === name);
  if (!crd) throw new Error(`${file}: no CustomResourceDefinition named ${name}`);
  const served = crd.spec.versions.find((v) => v.name === version && v.served);
  if (!served) throw new Error(`${file}: ${name} does not serve ${version}; the constructs emit that version`);
  if (name === 'applications.argoproj.io') writeFileSync(join(tmp, 'application-crd.yaml'), stringify(crd));
  const fixture = {
    source: `${file} of the gitops-crds directory (scripts/import-gitops.sh), descriptions removed`,
    apiVersion: `${crd.spec.group}/${version}`,
    kind: crd.spec.names.kind,
    scope: crd.spec.scope,
    schema: withoutDescriptions(served.schema.openAPIV3Schema),
  };
  writeFileSync(join(fixtures, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
}
EOF

# Run from the temporary directory: in a directory with a cdk8s.yaml, `cdk8s import` adds
# each imported file to that cdk8s.yaml's `imports` (and drops its comments).
cdk8s=$PWD/node_modules/.bin/cdk8s
(cd "$tmp" && "$cdk8s" import application-crd.yaml --language typescript --output out --no-check-upgrade)
(cd "$tmp" && "$cdk8s" import "$crds/flux.yaml" --language typescript --output out --no-check-upgrade)
cp "$tmp/out/argoproj.io.ts" imports/argoproj.io.ts
cp "$tmp/out/kustomize.toolkit.fluxcd.io.ts" imports/kustomize.toolkit.fluxcd.io.ts
# GitRepository's verify.mode admits both "HEAD" and its legacy spelling "head"; the generator
# folds the pair into one enum member and keeps the legacy value. Write the documented "HEAD".
sed -e 's|^  /\*\* head \*/$|  /** HEAD (the CRD also admits the legacy spelling "head") */|' \
    -e 's|^  HEAD = "head",$|  HEAD = "HEAD",|' \
    "$tmp/out/source.toolkit.fluxcd.io.ts" > imports/source.toolkit.fluxcd.io.ts
grep -q '^  HEAD = "HEAD",$' imports/source.toolkit.fluxcd.io.ts \
  || { echo 'scripts/import-gitops.sh: GitRepositorySpecVerifyMode.HEAD not found; check the generated enum' >&2; exit 1; }
echo "imports/ (Argo CD Application, Flux GitRepository and Kustomization) and test/fixtures/gitops-crds/ regenerated from $crds"
