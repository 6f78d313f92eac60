// The reference mesh as the tests take it: built through the package's public entry points
// (MeshApp, Mesh), exactly as infra/main.ts builds it.
import { analyze, type Finding } from 'zero-trust-mesh/analysis';
import { MeshApp, type Mesh } from 'zero-trust-mesh';
import type { Manifest } from '../../manifests/index.js';
import { renderEnvironment } from '../../manifests/index.js';
import type { EnvironmentConfig } from '../../infra/environment.js';
import { defineReferenceMesh } from '../../infra/reference-mesh.js';

/** One environment's objects, rendered without the analyzer gate (so tests can analyze refused configs). */
export interface SynthesizedEnvironment {
  readonly environment: EnvironmentConfig;
  readonly rootNamespace: string;
  readonly manifests: readonly Manifest[];
}

/** The reference mesh of `env`, in an app of its own. */
export function referenceMesh(env: EnvironmentConfig, app = new MeshApp({ outdir: 'cdk8s.out' })): Mesh {
  return defineReferenceMesh(app, env);
}

/** The reference mesh's objects for `env` (cdk8s's `toJson`: validations, no analyzer). */
export function synthesizeEnvironment(env: EnvironmentConfig): SynthesizedEnvironment {
  const mesh = referenceMesh(env);
  return { environment: env, rootNamespace: mesh.rootNamespace, manifests: mesh.toJson() as Manifest[] };
}

/** The analyzer's findings on one environment's objects, as the gate computes them. */
export function analyzeEnvironment(synth: SynthesizedEnvironment): Finding[] {
  return analyze(synth.manifests, { rootNamespace: synth.rootNamespace, trustDomain: synth.environment.trustDomain });
}

/** The files MeshApp writes for one environment. */
export function environmentFiles(synth: SynthesizedEnvironment): Map<string, string> {
  return renderEnvironment({ environment: synth.environment.name, rootNamespace: synth.rootNamespace, manifests: synth.manifests });
}

/** `npm run synth` for the given environments: a MeshApp writing into `outDir`; returns env → files. */
export function synthToDirectory(envs: readonly EnvironmentConfig[], outDir: string): Map<string, ReadonlyMap<string, string>> {
  const app = new MeshApp({ outdir: outDir });
  for (const env of envs) defineReferenceMesh(app, env);
  return new Map(app.write().map((w) => [w.environment, w.files]));
}
