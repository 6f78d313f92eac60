import type { Manifest } from '../manifests/index.js';
import { CHECKS } from './checks/index.js';
import type { Check } from './checks/check.js';
import { compareFindings, Finding, Severity } from './finding.js';
import { acknowledgementAnnotation } from './istio.js';
import { append, INPUT_CODES, loadPaths, SourcedManifest, validateManifests } from './load.js';
import { MeshModel, MeshOptions } from './model.js';
import { apiGroupOf } from './values.js';

/** meshConfig settings the manifests do not carry. */
export type AnalyzeOptions = MeshOptions;

/** The input checks (run while reading), documented beside the model checks. */
export const INPUT_CHECKS: readonly { code: string; severity: Severity; title: string }[] = [
  { code: INPUT_CODES.yaml, severity: 'error', title: 'Document is not valid YAML' },
  { code: INPUT_CODES.notAnObject, severity: 'error', title: 'Document is not a Kubernetes object' },
  { code: INPUT_CODES.duplicate, severity: 'error', title: 'Same object defined twice' },
  { code: INPUT_CODES.unknownIstioKind, severity: 'info', title: 'Istio kind the analyzer does not check' },
  { code: INPUT_CODES.helmChart, severity: 'info', title: 'Helm chart skipped (analyze its rendered output)' },
  { code: INPUT_CODES.yamlWarning, severity: 'warning', title: 'YAML the parser warned about' },
  { code: INPUT_CODES.checkFailed, severity: 'error', title: 'A check could not run on this input' },
];

/** Istio kinds the checks understand (Telemetry: read, no security semantics to check). */
const ANALYZED_ISTIO_KINDS = new Set([
  'AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'Gateway', 'VirtualService',
  'DestinationRule', 'ServiceEntry', 'Sidecar', 'Telemetry',
]);

/** Analyzes files and directories of YAML manifests. Throws `AnalysisInputError` for a missing path. */
export function analyzePaths(paths: readonly string[], options: AnalyzeOptions = {}): Finding[] {
  const { objects, findings } = loadPaths(paths);
  return analyzeObjects(objects, options, findings);
}

/** Analyzes manifests held in memory (e.g. synth's output); malformed ones become findings. */
export function analyze(manifests: readonly (Manifest | unknown)[], options: AnalyzeOptions = {}): Finding[] {
  const { objects, findings } = validateManifests(manifests, 'input');
  return analyzeObjects(objects, options, findings);
}

/** Runs every check on already validated objects; `inputFindings` are merged into the result. */
export function analyzeObjects(
  objects: readonly SourcedManifest[],
  options: AnalyzeOptions = {},
  inputFindings: readonly Finding[] = [],
  checks: readonly Check[] = CHECKS,
): Finding[] {
  const findings: Finding[] = [...inputFindings, ...inputChecks(objects)];
  const model = new MeshModel(objects, options);
  for (const check of checks) append(findings, runCheck(check, model));
  return dedupe(findings).sort(compareFindings);
}

function runCheck(check: Check, model: MeshModel): Finding[] {
  const out: Finding[] = [];
  try {
    for (const issue of check.run(model)) {
      const o = issue.object;
      const reason = check.acknowledgement ? o.annotations[acknowledgementAnnotation(check.acknowledgement)]?.trim() : undefined;
      const acknowledged = reason !== undefined && reason !== '' && check.severity === 'error';
      out.push({
        code: check.code,
        severity: acknowledged ? 'warning' : check.severity,
        kind: o.kind, namespace: o.namespace ?? null, name: o.name,
        message: acknowledged ? `${issue.message} Acknowledged: "${reason}".` : issue.message,
        fix: issue.fix,
        ...(o.file ? { file: o.file } : {}),
      });
    }
  } catch (error) {
    // A check must never take the analyzer down; malformed input it did not foresee is reported.
    out.push({
      code: INPUT_CODES.checkFailed, severity: 'error', kind: 'Check', namespace: null, name: check.code,
      message: `Check ${check.code} (${check.title}) could not run on this input: ${error instanceof Error ? error.message : String(error)}. Its findings are missing.`,
      fix: 'look for objects with fields of an unexpected type near what this check reads; please report the input so the check can handle it.',
    });
  }
  return out;
}

function inputChecks(objects: readonly SourcedManifest[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, SourcedManifest>();
  for (const o of objects) {
    const m = o.manifest;
    const group = apiGroupOf(m.apiVersion);
    const namespace = m.metadata.namespace ?? null;
    const file = o.file ? { file: o.file } : {};
    const key = `${group}/${m.kind}/${namespace ?? ''}/${m.metadata.name}`;
    const earlier = seen.get(key);
    if (earlier) {
      findings.push({
        code: INPUT_CODES.duplicate, severity: 'error', kind: m.kind, namespace, name: m.metadata.name, ...file,
        message: `${m.kind} ${namespace ? `${namespace}/` : ''}${m.metadata.name} is defined more than once${earlier.file ? ` (also in ${earlier.file})` : ''}; whichever is applied last silently replaces the other.`,
        fix: 'keep one definition of the object.',
      });
    } else {
      seen.set(key, o);
    }
    if (group.endsWith('istio.io') && !ANALYZED_ISTIO_KINDS.has(m.kind)) {
      findings.push({
        code: INPUT_CODES.unknownIstioKind, severity: 'info', kind: m.kind, namespace, name: m.metadata.name, ...file,
        message: `${m.apiVersion} ${m.kind} is not checked by the analyzer${['EnvoyFilter', 'WasmPlugin'].includes(m.kind) ? '; it can change any proxy behaviour, security included' : ''}.`,
        fix: 'review it by hand; if the kind is misspelled, correct it.',
      });
    }
  }
  return findings;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify([f.code, f.kind, f.namespace, f.name, f.message, f.file]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when any finding is an error. */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
