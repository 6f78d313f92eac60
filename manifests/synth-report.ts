// How `MeshApp.synth()`, running inside the user's cdk8s app, tells `zt-mesh synth` (which
// started that app as a child process, as `cdk8s synth` does) what it wrote or why it refused.
import type { Finding, Severity } from '../analysis/finding.js';

/** The variable that selects which environments `MeshApp.synth()` writes (`zt-mesh synth --env`). */
export const ENVIRONMENTS_VARIABLE = 'ZT_MESH_ENVIRONMENTS';
/** The variable naming the file where `MeshApp.synth()` writes its `SynthReport`. */
export const REPORT_VARIABLE = 'ZT_MESH_SYNTH_REPORT';

/** One written environment, in a `SynthReport`. */
export interface ReportedEnvironment {
  readonly environment: string;
  readonly directory: string;
  readonly files: number;
  readonly objects: number;
  readonly findings: Readonly<Record<Severity, number>>;
}

/** What was written, or the refusal; the error's `failures` are the analyzer's findings per environment. */
export interface SynthReport {
  readonly environments?: readonly ReportedEnvironment[];
  /** The GitOps delivery objects, when the app has a GitOpsDelivery. */
  readonly delivery?: { readonly directory: string; readonly files: number; readonly objects: number };
  readonly error?: {
    readonly kind: 'analysis' | 'config' | 'other';
    readonly message: string;
    readonly failures?: Readonly<Record<string, readonly Finding[]>>;
  };
}
