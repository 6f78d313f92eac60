import { ApiObject, ApiObjectMetadata, JsonPatch, Lazy } from 'cdk8s';
import { Construct } from 'constructs';

/** A Kubernetes object as plain JSON, the shape the generated classes' `manifest()` returns. */
export interface PlainManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: ApiObjectMetadata;
  /** Any value may be a cdk8s `Lazy`, produced at synth. */
  readonly [field: string]: unknown;
}

/**
 * An API object whose body is already plain Kubernetes JSON: the typed classes' static
 * `manifest(props)` (KubeDeployment.manifest, AuthorizationPolicy.manifest, ...) converts typed
 * props once, at construction, and this object renders the result directly.
 *
 * Why not the typed classes themselves: their `toJson()` goes through cdk8s's generic resolver,
 * which for every single value walks up to the App, allocates a resolution context and tries
 * three resolvers, then sorts every map. At a few thousand workloads that cost more than
 * serializing the YAML (see bench/). Our bodies hold only plain data and a few `Lazy` values, so
 * this renderer resolves exactly those. Metadata still goes through cdk8s (chart labels,
 * annotations), and keys are put in canonical order when it is written (manifests/render.ts).
 */
export class ManifestObject extends ApiObject {
  private readonly body: Readonly<Record<string, unknown>>;

  public constructor(scope: Construct, id: string, manifest: PlainManifest) {
    super(scope, id, manifest);
    const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...body } = manifest;
    this.body = body;
  }

  /** JSON patches would be silently skipped by this renderer, so they are refused. */
  public override addJsonPatch(..._ops: JsonPatch[]): void {
    throw new Error(`ManifestObject ${this.node.path}: JSON patches are not supported; change the construct's props instead.`);
  }

  public override toJson(): any {
    return { apiVersion: this.apiVersion, kind: this.kind, metadata: this.metadata.toJson(), ...(plain(this.body) as object) };
  }
}

/** Resolves `Lazy` values and drops null/undefined map entries, like cdk8s's resolve + sanitize. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  if (value instanceof Lazy) return plain(value.produce());
  if (Array.isArray(value)) return value.map(plain);
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    const resolvable = value as { resolve?: () => unknown };
    if (typeof resolvable.resolve === 'function') return plain(resolvable.resolve());
    throw new Error(`cannot render a ${value.constructor.name} as Kubernetes JSON; pass plain data (use the generated classes' manifest()).`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const rendered = plain((value as Record<string, unknown>)[key]);
    if (rendered !== undefined) out[key] = rendered;
  }
  return out;
}
