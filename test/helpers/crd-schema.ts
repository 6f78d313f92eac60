// Validates custom resources against their CRD's openAPIV3Schema, as the API server's structural
// schema validation does: types, required fields, enums, patterns, lengths, minimums, and unknown
// fields (which the server would silently prune, so a misspelt field is an error here). CEL rules
// (x-kubernetes-validations) are not evaluated. The schemas are the committed fixtures that
// scripts/import-gitops.sh and scripts/import-gateway-api.sh extract from the published CRDs, the
// same CRDs the typed classes in imports/ come from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The subset of OpenAPI v3 a structural CRD schema uses. */
export interface StructuralSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly additionalProperties?: StructuralSchema | boolean;
  readonly items?: StructuralSchema;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: string;
  readonly anyOf?: readonly StructuralSchema[];
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

/** One CRD fixture: the served version's schema and what it describes. */
export interface CrdFixture {
  readonly apiVersion: string;
  readonly kind: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly schema: StructuralSchema;
}

const FIXTURES = join(process.cwd(), 'test/fixtures');
const CRD_FILES = [
  'gitops-crds/applications.argoproj.io.json',
  'gitops-crds/gitrepositories.source.toolkit.fluxcd.io.json',
  'gitops-crds/kustomizations.kustomize.toolkit.fluxcd.io.json',
  'gateway-api-crds/gateways.gateway.networking.k8s.io.json',
  'gateway-api-crds/httproutes.gateway.networking.k8s.io.json',
  'gateway-api-crds/referencegrants.gateway.networking.k8s.io.json',
];

let loaded: Map<string, CrdFixture> | undefined;

/** The CRD fixtures by `<apiVersion>/<kind>`. */
export function crdFixtures(): ReadonlyMap<string, CrdFixture> {
  loaded ??= new Map(CRD_FILES.map((file) => {
    const crd = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as CrdFixture;
    return [`${crd.apiVersion}/${crd.kind}`, crd];
  }));
  return loaded;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Errors of a custom resource against its CRD, each `<path>: <problem>`; `[]` when valid. */
export function crdErrors(manifest: { readonly apiVersion: string; readonly kind: string; readonly [key: string]: unknown }, crd: CrdFixture): string[] {
  const errors: string[] = [];
  if (manifest.apiVersion !== crd.apiVersion || manifest.kind !== crd.kind) {
    return [`is ${manifest.apiVersion} ${manifest.kind}, the schema is for ${crd.apiVersion} ${crd.kind}`];
  }
  // The server checks metadata itself (ObjectMeta), not through the CRD's schema.
  const metadata = manifest.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof metadata?.name !== 'string' || metadata.name.length > 253 || !DNS_1123_SUBDOMAIN.test(metadata.name)) {
    errors.push(`metadata.name: ${JSON.stringify(metadata?.name)} is not a DNS-1123 subdomain`);
  }
  if (crd.scope === 'Namespaced' && (typeof metadata?.namespace !== 'string' || !DNS_1123_LABEL.test(metadata.namespace))) {
    errors.push(`metadata.namespace: ${JSON.stringify(metadata?.namespace)} is not a namespace name`);
  }
  const schema = { ...crd.schema, properties: { ...crd.schema.properties, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } as const;
  validate(manifest, schema, '', errors);
  return errors;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function validate(value: unknown, schema: StructuralSchema, path: string, errors: string[]): void {
  const at = path || '(root)';
  if (schema.anyOf && !schema.anyOf.some((s) => { const e: string[] = []; validate(value, s, path, e); return e.length === 0; })) {
    errors.push(`${at}: matches none of anyOf`);
    return;
  }
  const actual = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') errors.push(`${at}: ${actual} is not an integer or a string`);
    return;
  }
  if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) {
      errors.push(`${at}: ${actual} where ${schema.type} is expected`);
      return;
    }
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) errors.push(`${at}: "${value}" does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => validate(item, schema.items!, `${path}[${i}]`, errors));
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in record)) errors.push(`${path ? `${path}.` : ''}${key}: required`);
    }
    for (const [key, item] of Object.entries(record)) {
      const child = path ? `${path}.${key}` : key;
      const property = schema.properties?.[key];
      if (property) validate(item, property, child, errors);
      else if (typeof schema.additionalProperties === 'object') validate(item, schema.additionalProperties, child, errors);
      else if (schema.additionalProperties !== true && !schema['x-kubernetes-preserve-unknown-fields']) errors.push(`${child}: unknown field`);
    }
  }
}
