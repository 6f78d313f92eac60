import { countBySeverity, Finding, Severity } from './finding.js';

export type OutputFormat = 'text' | 'json' | 'markdown';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'markdown'];

/** `3 errors, 1 warning, 0 info`. */
export function summary(findings: readonly Finding[]): string {
  return summaryOfCounts(countBySeverity(findings));
}

/** `summary` from counts per severity (what `MeshApp` reports to `zt-mesh synth`). */
export function summaryOfCounts(c: Readonly<Record<Severity, number>>): string {
  return `${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.info} info`;
}

/** The object a finding is about, as `Kind namespace/name`. */
export function findingObject(f: Finding): string {
  return `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`;
}

/** One finding per paragraph: where, severity, code, object, message, then the fix. */
export function formatText(findings: readonly Finding[]): string {
  const body = findings.map((f) => `${f.file ? `${f.file}: ` : ''}${f.severity} ${f.code} ${findingObject(f)}\n  ${f.message}\n  Fix: ${f.fix}\n`).join('\n');
  return `${body}${body ? '\n' : ''}${findings.length ? summary(findings) : 'No findings.'}\n`;
}

/** A JSON array of findings with exactly the documented fields. */
export function formatJson(findings: readonly Finding[]): string {
  return `${JSON.stringify(findings.map((f) => ({
    code: f.code, severity: f.severity, kind: f.kind, namespace: f.namespace, name: f.name, message: f.message, fix: f.fix,
  })), null, 2)}\n`;
}

/** Text made safe for one Markdown table cell: backslashes and pipes escaped, line breaks as spaces. */
export function markdownCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A Markdown report (for pull-request comments): a summary line and a table. */
export function formatMarkdown(findings: readonly Finding[]): string {
  if (findings.length === 0) return '### zt-mesh analyze\n\nNo findings.\n';
  const rows = findings.map((f) => `| ${f.severity} | ${f.code} | ${markdownCell(findingObject(f))} | ${markdownCell(f.message)} | ${markdownCell(f.fix)} |`);
  return ['### zt-mesh analyze', '', `${summary(findings)}.`, '', '| severity | code | object | finding | fix |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

export function formatFindings(findings: readonly Finding[], format: OutputFormat): string {
  return format === 'json' ? formatJson(findings) : format === 'markdown' ? formatMarkdown(findings) : formatText(findings);
}
