import { ApiObject, ApiObjectMetadata, ApiObjectMetadataDefinition, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';

/** A Kubernetes object as plain JSON: a wire-format literal, generated props (`SecurityManifest`), or what a generated class's `manifest()` returns. */
export interface PlainManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: ApiObjectMetadata;
  /** Any value may be a cdk8s `Lazy`, produced at synth. */
  readonly [field: string]: unknown;
}

/**
 * Makes the fields of an object besides `apiVersion`, `kind` and `metadata`, when the object is
 * rendered. It must return fresh plain JSON on every call (no `Lazy`, no null or undefined
 * entries, nothing shared with the construct's state), as the result goes into the rendered
 * object as it is. A stored body is copied and walked at every render instead; for the large,
 * plain bodies written for every workload (a Deployment's pod spec) that copy was a third of
 * rendering the objects (bench/).
 */
export type BodyProducer = () => Readonly<Record<string, unknown>>;

/** The part of a wire-format type (`Deployment` of kubernetes-types) that a `BodyProducer` makes. */
export type ManifestBody<T> = Omit<T, 'apiVersion' | 'kind' | 'metadata'>;
/** The part of a wire-format type given to `ManifestObject` with a `BodyProducer`. */
export type ManifestHeader<T> = Pick<T, Extract<keyof T, 'apiVersion' | 'kind' | 'metadata'>>;

/**
 * An API object whose body is already plain Kubernetes JSON: an object literal checked against
 * the wire-format types of `kubernetes-types` (`{ apiVersion: 'apps/v1', kind: 'Deployment', ... }
 * satisfies Deployment`), an Istio security object from its generated props
 * (`SecurityManifest.authorizationPolicy(props)`, see security-manifest.ts), or the output of
 * another Istio class generated into imports/ (`Gateway.manifest(props)`). This object renders
 * it directly. A large body can instead be made at each render by a `BodyProducer`, with only
 * `apiVersion`, `kind` and `metadata` given here (`satisfies ManifestHeader<Deployment>`, the
 * producer's result `satisfies ManifestBody<Deployment>`).
 *
 * Why not cdk8s-plus's typed `k8s` classes for core objects: generated functions convert their
 * props to JSON field by field (a Deployment's pod spec alone is dozens of allocations), which
 * made building and rendering a thousand workloads 1.6 times slower, and their camel-cased props
 * rename some API fields (`clusterIp` for `clusterIP`). The wire-format types check the same
 * fields at compile time, with the API's own names, at no runtime cost.
 *
 * Why not the typed classes themselves: their `toJson()` goes through cdk8s's generic resolver,
 * which for every single value walks up to the App, allocates a resolution context and tries
 * three resolvers, then sorts every map. At a few thousand workloads that cost more than
 * serializing the YAML (see bench/). Our bodies hold only plain data and a few `Lazy` values, so
 * this renderer resolves exactly those, metadata included (labels and annotations added later
 * through `metadata.addLabel` and friends are honoured). Keys are put in canonical order when
 * the YAML is written (manifests/render.ts). Custom resolvers given to the cdk8s `App` are not
 * applied: nothing in this project sets any.
 */
export class ManifestObject extends ApiObject {
  /** The manifest as given; its `apiVersion`, `kind` and `metadata` are the ApiObject's own fields. */
  private readonly manifest: PlainManifest;
  private readonly produceBody?: BodyProducer;
  private readonly escapePatches: JsonPatch[] = [];

  /**
   * @param manifest the object, or with `produceBody` only its `apiVersion`, `kind` and `metadata`
   * @param produceBody makes the rest of the object each time it is rendered
   */
  public constructor(scope: Construct, id: string, manifest: PlainManifest, produceBody?: BodyProducer) {
    if (produceBody) {
      for (const key in manifest) {
        if (key !== 'apiVersion' && key !== 'kind' && key !== 'metadata' && manifest[key] !== undefined) {
          throw new Error(`ManifestObject ${scope.node.path}/${id}: "${key}" is given both in the manifest and by produceBody; let produceBody make every field besides apiVersion, kind and metadata.`);
        }
      }
    }
    super(scope, id, manifest);
    this.manifest = manifest;
    this.produceBody = produceBody;
  }

  /**
   * The escape hatch, as on any cdk8s ApiObject: patches applied to the rendered object, in order,
   * for fields the constructs have no prop for (`ApiObject.of(workload.node.findChild('deployment'))
   * .addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'critical'))`). What
   * a patch changes passes the policy analyzer gate like everything else.
   */
  public override addJsonPatch(...ops: JsonPatch[]): void {
    this.escapePatches.push(...ops);
  }

  public override toJson(): any {
    const json: Record<string, unknown> = { apiVersion: this.apiVersion, kind: this.kind };
    const metadata = renderMetadata(this.metadata);
    if (metadata !== undefined) json.metadata = metadata;
    for (const key in this.manifest) {
      if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
      const value = plain(this.manifest[key], false);
      if (value !== undefined) json[key] = value;
    }
    if (this.produceBody) Object.assign(json, this.produceBody());
    return this.escapePatches.length ? JsonPatch.apply(json, ...this.escapePatches) : json;
  }
}

/** The metadata fields cdk8s renders from its own state, in its (sorted) output order. */
const OWN_FIELDS = ['annotations', 'finalizers', 'labels', 'name', 'namespace', 'ownerReferences'] as const;
const OWN_FIELD_SET: ReadonlySet<string> = new Set(OWN_FIELDS);

/**
 * What cdk8s's `ApiObjectMetadataDefinition.toJson()` returns (its fields resolved, empty maps and
 * lists dropped, keys sorted) without its resolver, which walks up to the App for every value.
 * The fields are private in cdk8s's typings, so their shape is checked, and anything unexpected
 * falls back to cdk8s itself; test/constructs/manifest-object.test.ts holds the two equal.
 */
function renderMetadata(metadata: ApiObjectMetadataDefinition): unknown {
  const fields = metadata as unknown as Partial<MetadataFields>;
  const extra = fields._additionalAttributes;
  const shaped = typeof extra === 'object' && extra !== null && isMap(fields.labels) && isMap(fields.annotations)
    && Array.isArray(fields.finalizers) && Array.isArray(fields.ownerReferences);
  if (!shaped) return metadata.toJson();
  // cdk8s keeps the options it was constructed with as the attribute bag, so it also holds the
  // own fields; other keys come only from `metadata.add(key, value)` and are rare.
  let others: string[] | undefined;
  for (const key in extra) {
    if (!OWN_FIELD_SET.has(key)) (others ??= []).push(key);
  }
  const keys: readonly string[] = others === undefined ? OWN_FIELDS : [...OWN_FIELDS, ...others].sort();
  const json: Record<string, unknown> = {};
  let size = 0;
  for (const key of keys) {
    const value = plain(metadataField(metadata, fields as MetadataFields, key), true);
    if (value !== undefined) {
      json[key] = value;
      size += 1;
    }
  }
  return size === 0 ? undefined : json;
}

/** The fields cdk8s 2.x keeps in an `ApiObjectMetadataDefinition` (declared private there). */
interface MetadataFields {
  readonly labels: Record<string, unknown>;
  readonly annotations: Record<string, unknown>;
  readonly finalizers: unknown[];
  readonly ownerReferences: unknown[];
  readonly _additionalAttributes: Record<string, unknown>;
}

/** A metadata field's value: cdk8s's own state for its fields, the attribute bag for others. */
function metadataField(metadata: ApiObjectMetadataDefinition, fields: MetadataFields, key: string): unknown {
  switch (key) {
    case 'annotations': return fields.annotations;
    case 'finalizers': return fields.finalizers;
    case 'labels': return fields.labels;
    case 'name': return metadata.name;
    case 'namespace': return metadata.namespace;
    case 'ownerReferences': return fields.ownerReferences;
    default: return fields._additionalAttributes[key];
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Resolves `Lazy` values and drops null/undefined map entries, like cdk8s's resolve + sanitize.
 * `compact` also drops empty maps and lists and sorts keys, as cdk8s does for metadata.
 */
function plain(value: unknown, compact: boolean): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  if (value instanceof Lazy) return plain(value.produce(), compact);
  if (Array.isArray(value)) {
    if (compact && value.length === 0) return undefined;
    return value.map((item) => plain(item, compact));
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    const resolvable = value as { resolve?: () => unknown };
    if (typeof resolvable.resolve === 'function') return plain(resolvable.resolve(), compact);
    throw new Error(`cannot render a ${value.constructor.name} as Kubernetes JSON; pass plain data (a plain object literal, or a generated class's manifest()).`);
  }
  const record = value as Record<string, unknown>;
  if (!compact) return copyMap(record);
  const keys = Object.keys(record).sort();
  const out: Record<string, unknown> = {};
  let size = 0;
  for (const key of keys) {
    const rendered = plain(record[key], compact);
    if (rendered !== undefined) {
      out[key] = rendered;
      size += 1;
    }
  }
  return size === 0 ? undefined : out;
}

/**
 * `plain` for a body's map: a spread copy (one step for all its fields, where adding them one by
 * one walks the object's shape transitions key after key), with nested values rendered in place.
 */
function copyMap(record: Record<string, unknown>): Record<string, unknown> {
  const out = { ...record };
  let dropped: Set<string> | undefined;
  for (const key in out) {
    const item = out[key];
    const rendered = typeof item === 'object' ? plain(item, false) : item; // null renders as undefined
    if (rendered === undefined) (dropped ??= new Set()).add(key);
    else if (rendered !== item) out[key] = rendered;
  }
  if (dropped === undefined) return out;
  // Rare (a null, undefined or empty Lazy entry): copy without them, as `delete` would leave a
  // slow dictionary-mode object.
  const kept: Record<string, unknown> = {};
  for (const key in out) if (!dropped.has(key)) kept[key] = out[key];
  return kept;
}
