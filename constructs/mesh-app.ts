import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { countBySeverity, Severity } from '../analysis/finding.js';
import type { Manifest } from '../manifests/manifest.js';
import { kustomization, KUSTOMIZATION_FILE, renderEnvironment, renderFiles } from '../manifests/render.js';
import { ENVIRONMENTS_VARIABLE, REPORT_VARIABLE, SynthReport } from '../manifests/synth-report.js';
import { assertReplaceable, replaceDirectory } from '../manifests/write.js';
import { ZeroTrustConfigError } from './errors.js';
import { GitOpsDelivery } from './gitops-delivery.js';
import { Mesh, MeshAnalysisError, MeshSynthesis } from './mesh.js';

/** Props of a `MeshApp`. */
export interface MeshAppProps {
  /**
   * Where `synth()` writes: one directory per environment, `<outdir>/<environment>/`.
   * @default - `$CDK8S_OUTDIR` (set by `cdk8s synth` and `zt-mesh synth`), else `dist`
   */
  readonly outdir?: string;
  /**
   * The environments (`Mesh.environment`) that `synth()` analyzes and writes; the others are
   * built but neither analyzed nor written.
   * @default - the comma-separated names in `$ZT_MESH_ENVIRONMENTS` (`zt-mesh synth --env`), else every mesh of the app
   */
  readonly environments?: readonly string[];
}

/** One environment as `MeshApp.synth()` wrote it. */
export interface WrittenEnvironment {
  readonly environment: string;
  /** The directory it replaced: `<outdir>/<environment>`. */
  readonly directory: string;
  /** File name → YAML, exactly as written. */
  readonly files: ReadonlyMap<string, string>;
  /** How many API objects the files hold. */
  readonly objects: number;
  /** The analyzer's findings per severity (errors are always 0: they stop synth). */
  readonly findings: Readonly<Record<Severity, number>>;
}

/** The delivery objects as `MeshApp.synth()` wrote them. */
export interface WrittenDelivery {
  /** `<outdir>/delivery`. */
  readonly directory: string;
  /** File name → YAML, exactly as written. */
  readonly files: ReadonlyMap<string, string>;
  /** How many API objects the files hold. */
  readonly objects: number;
}

/**
 * The cdk8s `App` for zero-trust meshes: one `Mesh` per environment below it, and a `synth()`
 * that writes each one with every guarantee of the pipeline:
 * - every selected mesh is built and checked by the policy analyzer in memory first; an error in
 *   any of them (a construct's validation, a refused insecure combination, an analyzer error)
 *   throws and writes nothing at all;
 * - `<outdir>/<environment>/` is a kustomization of two directories, `security/` (Namespaces,
 *   ServiceAccounts and the mTLS, JWT and authorization policies) and `workloads/` (the rest),
 *   applied in that order (Argo CD sync waves; Flux `dependsOn`), each with one YAML file per
 *   namespace plus `mesh.yaml` for the mesh-wide objects, objects and keys in canonical order, so
 *   the same code gives byte-identical files and a GitOps diff shows only real changes;
 * - each environment's directory is replaced as a whole (stale files go), through a temporary
 *   sibling directory, so a reader never sees a half-written environment; only directories
 *   zero-trust-mesh wrote (a `.zero-trust-mesh` marker) are ever replaced;
 * - a `GitOpsDelivery` of the app (Argo CD Applications, Flux Kustomizations pointing at those
 *   directories) is written to `<outdir>/delivery/`, with a kustomization to bootstrap it.
 *
 * `npx cdk8s synth` and `zt-mesh synth` both run the app and end in this `synth()`. A plain
 * cdk8s `App` still runs the analyzer gate (as a validation) but writes cdk8s's own layout.
 */
export class MeshApp extends App {
  private readonly selected?: readonly string[];

  public constructor(props: MeshAppProps = {}) {
    // An empty $CDK8S_OUTDIR counts as unset (cdk8s itself would write to the working directory).
    super({ outdir: props.outdir ?? (process.env.CDK8S_OUTDIR || 'dist') });
    const fromEnv = process.env[ENVIRONMENTS_VARIABLE];
    this.selected = props.environments
      ?? (fromEnv ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  }

  /** The delivery written by the last `write()`, if the app has a `GitOpsDelivery`. */
  public writtenDelivery?: WrittenDelivery;

  /** The meshes of this app, one per environment, in the order they were created. */
  public get meshes(): Mesh[] {
    return this.node.children.filter((c): c is Mesh => Mesh.isMesh(c));
  }

  /**
   * Builds and analyzes the selected environments in memory; writes nothing. Throws
   * `ZeroTrustConfigError` for a bad configuration and `MeshAnalysisError` (with every failing
   * environment's findings) for analyzer errors.
   */
  public synthesizeMeshes(): MeshSynthesis[] {
    const meshes = this.selectedMeshes();
    const results: MeshSynthesis[] = [];
    const failures = new Map<string, MeshSynthesis['findings']>();
    for (const mesh of meshes) {
      try {
        results.push(mesh.synthesize());
      } catch (error) {
        if (!(error instanceof MeshAnalysisError)) throw error;
        for (const [env, findings] of error.failures) failures.set(env, findings);
      }
    }
    if (failures.size > 0) throw new MeshAnalysisError(failures);
    return results;
  }

  /**
   * Synthesizes the selected environments and, only when all of them succeeded and every target
   * directory is new or zero-trust-mesh's own (its `.zero-trust-mesh` marker), replaces
   * `<outdir>/<environment>/` for each. Other directories of `outdir` are left alone, so `outdir`
   * can be a checkout of a GitOps repository. Returns what was written.
   */
  public write(): WrittenEnvironment[] {
    const rendered = this.synthesizeMeshes().map((synthesis) => ({ synthesis, files: renderEnvironment(synthesis) }));
    const delivery = this.renderDelivery();
    // All or nothing: a directory that may not be replaced stops synth before anything is written.
    for (const { synthesis } of rendered) assertReplaceable(this.outdir, synthesis.environment);
    if (delivery) assertReplaceable(this.outdir, GitOpsDelivery.OUTPUT_DIRECTORY);
    if (delivery) {
      replaceDirectory(this.outdir, GitOpsDelivery.OUTPUT_DIRECTORY, delivery.files);
      this.writtenDelivery = { directory: join(this.outdir, GitOpsDelivery.OUTPUT_DIRECTORY), ...delivery };
    }
    return rendered.map(({ synthesis, files }) => {
      replaceDirectory(this.outdir, synthesis.environment, files);
      return {
        environment: synthesis.environment,
        directory: join(this.outdir, synthesis.environment),
        files,
        objects: synthesis.manifests.length,
        findings: countBySeverity(synthesis.findings),
      };
    });
  }

  /**
   * Writes every selected environment (see `write`). Under `zt-mesh synth`, also reports what
   * it did, or why it refused, to the CLI.
   */
  public override synth(): void {
    const report = process.env[REPORT_VARIABLE];
    if (!report) {
      this.write();
      return;
    }
    try {
      const written = this.write();
      const done: SynthReport = {
        environments: written.map(({ environment, directory, files, objects, findings }) => ({ environment, directory, files: files.size, objects, findings })),
        ...(this.writtenDelivery ? { delivery: { directory: this.writtenDelivery.directory, files: this.writtenDelivery.files.size, objects: this.writtenDelivery.objects } } : {}),
      };
      writeFileSync(report, JSON.stringify(done));
    } catch (error) {
      const refused: SynthReport = { error: describeError(error) };
      writeFileSync(report, JSON.stringify(refused));
      throw error;
    }
  }

  /**
   * The app's `GitOpsDelivery` as files: one per namespace (`argocd.yaml`, `flux-system.yaml`) and
   * a kustomization, so `kubectl apply -k <outdir>/delivery` bootstraps the delivery. Refuses a
   * second delivery and an environment no Mesh of the app writes.
   */
  private renderDelivery(): { files: Map<string, string>; objects: number } | undefined {
    const deliveries = this.node.children.filter((c): c is GitOpsDelivery => GitOpsDelivery.isGitOpsDelivery(c));
    if (deliveries.length === 0) return undefined;
    if (deliveries.length > 1) {
      throw new ZeroTrustConfigError('MeshApp', 'deliveries', `has ${deliveries.length} GitOpsDelivery charts (${deliveries.map((d) => d.node.id).join(', ')}); all would write ${GitOpsDelivery.OUTPUT_DIRECTORY}/.`,
        'use one GitOpsDelivery listing every environment.');
    }
    const delivery = deliveries[0]!;
    const meshes = this.meshes.map((m) => m.environment);
    const orphan = delivery.environments.find((e) => !meshes.includes(e));
    if (orphan !== undefined) {
      throw new ZeroTrustConfigError(`GitOpsDelivery "${delivery.node.id}"`, 'environments', `names "${orphan}", which no Mesh of the app writes, so its Application or Kustomization would point at an empty directory.`,
        `create the Mesh of that environment, or deliver only ${meshes.join(', ')}.`);
    }
    const manifests = delivery.toJson() as Manifest[];
    const header = 'Generated by zero-trust-mesh: how Argo CD / Flux deliver the environments of this repository.\n'
      + 'Apply once to bootstrap (kubectl apply -k); do not edit: change the GitOpsDelivery and synthesize again.';
    const files = renderFiles(manifests, { rootNamespace: '', header });
    files.set(KUSTOMIZATION_FILE, kustomization(header, { resources: [...files.keys()].sort() }));
    return { files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))), objects: manifests.length };
  }

  private selectedMeshes(): Mesh[] {
    const meshes = this.meshes;
    const names = meshes.map((m) => m.environment);
    for (const child of this.node.children) {
      if (!Mesh.isMesh(child) && !GitOpsDelivery.isGitOpsDelivery(child) && Chart.isChart(child)) {
        throw new ZeroTrustConfigError('MeshApp', `charts["${child.node.id}"]`,
          'is a cdk8s Chart that is not a Mesh; MeshApp writes one directory per Mesh and would leave it out.',
          'create its objects inside the Mesh of their environment (any cdk8s construct can be a child of a Mesh).');
      }
    }
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new ZeroTrustConfigError('MeshApp', 'meshes', `two meshes have the environment name "${duplicate}"; each writes ${duplicate}/.`,
        'give each Mesh its own environment name (its id, or props.environment).');
    }
    if (meshes.length === 0) {
      throw new ZeroTrustConfigError('MeshApp', 'meshes', 'has no Mesh, so there is nothing to synthesize.',
        'create one per environment: new Mesh(app, "prod", { stage: "prod" }).');
    }
    if (this.selected === undefined) return meshes;
    return this.selected.map((name) => {
      const mesh = meshes.find((m) => m.environment === name);
      if (!mesh) {
        throw new ZeroTrustConfigError('MeshApp', 'environments', `no Mesh has the environment name "${name}".`,
          `select among ${names.join(', ')} (zt-mesh synth --env, or ${ENVIRONMENTS_VARIABLE}).`);
      }
      return mesh;
    });
  }
}

/** An error as the CLI reports it. */
function describeError(error: unknown): NonNullable<SynthReport['error']> {
  if (error instanceof MeshAnalysisError) {
    return { kind: 'analysis', message: error.message, failures: Object.fromEntries(error.failures) };
  }
  if (error instanceof ZeroTrustConfigError) return { kind: 'config', message: error.message };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}
