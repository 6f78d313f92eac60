/** How bad a finding is. `error` fails `zt-mesh analyze` and `npm run synth`. */
export type Severity = 'error' | 'warning' | 'info';

/** Severities from worst to mildest: the order findings are reported in. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * One problem the analyzer found: a stable code, how bad it is, the object it is about, what is
 * wrong and how to fix it. `namespace` is null for cluster-scoped objects and for input problems
 * that have no object (a file that is not YAML).
 */
export interface Finding {
  readonly code: string;
  readonly severity: Severity;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
  readonly message: string;
  readonly fix: string;
  /** The file the object came from, when the input was read from files. */
  readonly file?: string;
}

/** Orders findings worst first, then by code, object and message: same input, same output. */
export function compareFindings(a: Finding, b: Finding): number {
  const keyOf = (f: Finding) => [
    String(SEVERITIES.indexOf(f.severity)), f.code, f.namespace ?? '', f.kind, f.name, f.message, f.file ?? '',
  ];
  const ka = keyOf(a);
  const kb = keyOf(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  }
  return 0;
}

/** Counts findings per severity. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
