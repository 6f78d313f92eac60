import { accessMatrix, type MatrixCell } from '../analysis/access/matrix.js';
import { AccessRequest, AccessSimulator, Verdict } from '../analysis/access/simulator.js';
import type { Finding } from '../analysis/finding.js';
import { validateManifests } from '../analysis/load.js';
import { MeshModel } from '../analysis/model.js';
import type { Mesh } from '../constructs/mesh.js';
import type { Manifest } from '../manifests/manifest.js';

/** Options of `MeshTesting.synth`. */
export interface MeshTestingOptions {
  /**
   * JWKS JSON by JWKS URI, for checking real tokens your test signs (`check` with `token`).
   * @default - none: a JWKS URI behaves like an unreachable one (every real token 401)
   */
  readonly jwks?: Readonly<Record<string, string>>;
  /**
   * The clock for token expiry.
   * @default - now
   */
  readonly now?: Date;
}

/** Options of one `check`. */
export interface CheckOptions {
  /**
   * Send a valid token of the destination's issuer instead of `request.token`: symbolic, with
   * the issuer's audiences and every claim the destination's policies ask about, so no key is
   * needed (what the access matrix calls a valid token).
   * @default false
   */
  readonly assumeValidToken?: boolean;
}

/**
 * A mesh as synth writes it, for tests: its objects (after every validation and the analyzer
 * gate), the analyzer's findings, and the access simulator over those objects, so a test states
 * who may reach whom instead of comparing YAML.
 */
export class SynthesizedMesh {
  /** The API objects, exactly as `MeshApp` writes them (before YAML). */
  public readonly manifests: readonly Manifest[];
  /** The policy analyzer's findings (never an error: those make `MeshTesting.synth` throw). */
  public readonly findings: readonly Finding[];
  private readonly simulator: AccessSimulator;
  private matrix?: Promise<MatrixCell[]>;

  /** Synthesizes `mesh` (see `MeshTesting.synth`, the usual way to get one). */
  public constructor(mesh: Mesh, options: MeshTestingOptions = {}) {
    const synthesis = mesh.synthesize();
    this.manifests = synthesis.manifests;
    this.findings = synthesis.findings;
    const model = new MeshModel(validateManifests(synthesis.manifests, 'mesh').objects, {
      rootNamespace: synthesis.rootNamespace, trustDomain: synthesis.trustDomain,
    });
    const gateway = mesh.ingressGateway;
    this.simulator = new AccessSimulator(model, {
      ingressGateway: { namespace: gateway.namespace, serviceAccount: gateway.serviceAccount, labels: gateway.selector },
      ...(options.jwks ? { jwks: options.jwks } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** The objects of a kind, in synth order. */
  public objectsOfKind(kind: string): Manifest[] {
    return this.manifests.filter((m) => m.kind === kind);
  }

  /** The object of `kind` named `namespace/name` (or `name` when cluster-scoped); throws when there is none. */
  public object(kind: string, name: string): Manifest {
    const [namespace, local] = name.includes('/') ? name.split('/', 2) : [undefined, name];
    const found = this.manifests.find((m) => m.kind === kind && m.metadata.name === local && m.metadata.namespace === namespace);
    if (!found) {
      const names = this.objectsOfKind(kind).map((m) => (m.metadata.namespace ? `${m.metadata.namespace}/${m.metadata.name}` : m.metadata.name));
      throw new Error(`no ${kind} "${name}" in the mesh; there are: ${names.join(', ') || 'none'}.`);
    }
    return found;
  }

  /**
   * Istio's decision for one request (the simulator of `zt-mesh access check`): `allow`,
   * `deny-401`, `deny-403`, `reset` or `no-route`, with the reason.
   */
  public check(request: AccessRequest, options: CheckOptions = {}): Promise<Verdict> {
    return this.simulator.check(request, options);
  }

  /** Every cell of the access matrix (`zt-mesh access matrix`): each workload, an outside client and the ingress gateway against each Service port. */
  public accessMatrix(): Promise<MatrixCell[]> {
    this.matrix ??= accessMatrix(this.simulator);
    return this.matrix;
  }

  /**
   * Who may reach whom: every allowed cell of the access matrix as `"<from> -> <ns/service>:<port>"`,
   * with ` (<none|invalid|valid> token)` where the destination validates tokens; `<from>` is
   * `namespace/workload`, `outside` or `ingress`. Sorted, so a test can compare it whole.
   */
  public async allowedEdges(): Promise<string[]> {
    return (await this.accessMatrix())
      .filter((cell) => cell.outcome === 'allow')
      .map((cell) => `${cell.from} -> ${cell.to}:${cell.port}${cell.token ? ` (${cell.token} token)` : ''}`)
      .sort();
  }
}

/** Test helpers for meshes, beside cdk8s's `Testing`. */
export class MeshTesting {
  /**
   * Synthesizes a mesh as `MeshApp` does (validations, then the policy analyzer: an analyzer
   * error throws `MeshAnalysisError`) and returns its objects with the access simulator.
   * Writes nothing.
   */
  public static synth(mesh: Mesh, options: MeshTestingOptions = {}): SynthesizedMesh {
    return new SynthesizedMesh(mesh, options);
  }

  private constructor() {}
}
