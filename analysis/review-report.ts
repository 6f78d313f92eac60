import { formatEdge, formatOutcome } from './access/report.js';
import { SEVERITIES, type Finding } from './finding.js';
import { findingObject, markdownCell } from './format.js';
import { addsErrors, isUnchangedEnvironment, type EnvironmentReview, type ObjectRef, type Review, type ReviewedEdge } from './review.js';

/**
 * The Markdown report of `zt-mesh review`, written for a pull-request comment: a marker a bot can
 * find its own comment by, one summary line per environment, then the details of each changed
 * environment. Same review, same bytes: everything is sorted before it gets here.
 */

/** The first line of every review report: a bot finds (and updates) its own comment by it. */
export const REVIEW_MARKER = '<!-- zt-mesh-review -->';

// Caps that keep a huge change (a new environment, a mass rename) within a pull-request comment
// (GitHub's limit is 65,536 characters); every cut says how many were left out and where to see them.
const MAX_EDGES = 50;
const MAX_FINDINGS = 50;
const MAX_NAMES_PER_KIND = 10;

function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}

/** One line per environment: the edges, findings and objects head changes there. */
export function reviewSummaryLine(e: EnvironmentReview): string {
  const where = `**${e.environment}**${e.presence === 'added' ? ' (new environment)' : e.presence === 'removed' ? ' (environment removed)' : ''}`;
  if (isUnchangedEnvironment(e)) return `- ${where}: no changes`;
  const { access, findings, objects } = e;
  const parts: string[] = [];
  if (access.gained.length > 0) parts.push(`+${plural(access.gained.length, 'edge')}`);
  if (access.lost.length > 0) parts.push(`\u2212${plural(access.lost.length, 'edge')}`);
  if (access.error) parts.push('access not simulated');
  for (const severity of SEVERITIES) {
    const n = findings.introduced.filter((f) => f.severity === severity).length;
    if (n > 0) parts.push(`${n} new ${severity === 'info' || n === 1 ? severity : `${severity}s`}`);
  }
  if (findings.resolved.length > 0) parts.push(plural(findings.resolved.length, 'resolved finding'));
  const changedObjects = objects.added.length + objects.removed.length + objects.modified.length;
  const how = e.presence === 'added' ? 'added' : e.presence === 'removed' ? 'removed' : 'changed';
  if (changedObjects > 0) parts.push(`${plural(changedObjects, 'object')} ${how}`);
  // Only an environment directory without objects, added or removed, changes nothing else.
  if (parts.length === 0) parts.push('no objects');
  return `- ${where}: ${parts.join(', ')}`;
}

/** Where the whole access picture of an environment can be seen when a table is cut. */
function fullAccessCommand(e: EnvironmentReview): string {
  if (e.presence === 'added') return `zt-mesh access matrix --manifests <head>/${e.environment}`;
  if (e.presence === 'removed') return `zt-mesh access matrix --manifests <base>/${e.environment}`;
  return `zt-mesh access diff <base>/${e.environment} <head>/${e.environment}`;
}

/** The rules that allow an edge, by the grants their policies record; the simulator's reason when none does. */
function allowedBy(edge: ReviewedEdge): string {
  if (edge.allowedBy.length === 0) return edge.allowedBecause;
  return edge.allowedBy.map((r) => {
    const where = `${r.namespace}/${r.policy} rule ${r.index}`;
    if (r.record === undefined) return `${where} (its policy records no grant)`;
    const stale = r.recordMayBeStale ? ' (**record may be stale**: head changed this rule but not its record; read the rule itself)' : '';
    return `${r.record} \u2014 ${where}${stale}`;
  }).join('; ');
}

function capped<T>(items: readonly T[], max: number): { shown: readonly T[]; left: number } {
  return { shown: items.slice(0, max), left: Math.max(0, items.length - max) };
}

function accessSection(e: EnvironmentReview): string[] {
  const { access } = e;
  if (access.error) return ['#### Access', '', `Not simulated: ${access.error}`, ''];
  if (access.gained.length + access.lost.length + access.other.length === 0) {
    return ['#### Access', '', 'No access changes: every caller reaches exactly what it reached before.', ''];
  }
  const out = [`#### Access: ${access.gained.length} gained, ${access.lost.length} lost`, ''];
  const more = (left: number) => (left > 0 ? [`\u2026 and ${left} more: \`${fullAccessCommand(e)}\` lists them all.`, ''] : []);
  if (access.gained.length > 0) {
    const { shown, left } = capped(access.gained, MAX_EDGES);
    out.push('| gained edge | before → after | allowed by |', '|---|---|---|',
      ...shown.map((c) => `| ${markdownCell(formatEdge(c))} | ${formatOutcome(c.before)} → ${formatOutcome(c.after)} | ${markdownCell(allowedBy(c))} |`), '', ...more(left));
  }
  if (access.lost.length > 0) {
    const { shown, left } = capped(access.lost, MAX_EDGES);
    out.push('| lost edge | before → after | was allowed by | now |', '|---|---|---|---|',
      ...shown.map((c) => `| ${markdownCell(formatEdge(c))} | ${formatOutcome(c.before)} → ${formatOutcome(c.after)} | ${markdownCell(allowedBy(c))} | ${markdownCell(c.reason)} |`), '', ...more(left));
  }
  // In a new or removed environment every refused edge appeared or vanished: no news to a reviewer.
  if (access.other.length > 0 && e.presence === 'both') {
    out.push(`${plural(access.other.length, 'other change')} among refused edges (say 403 → reset, or a refused edge that appeared): \`${fullAccessCommand(e)}\` lists them.`, '');
  }
  return out;
}

function findingRows(findings: readonly Finding[], withFix: boolean): string[] {
  return findings.map((f) => `| ${f.severity} | ${f.code} | ${markdownCell(findingObject(f))} | ${markdownCell(f.message)} |${withFix ? ` ${markdownCell(f.fix)} |` : ''}`);
}

function findingsSection(e: EnvironmentReview): string[] {
  const { introduced, resolved } = e.findings;
  if (introduced.length + resolved.length === 0) return ['#### Analyzer findings', '', 'No new or resolved findings.', ''];
  const out = [`#### Analyzer findings: ${introduced.length} new, ${resolved.length} resolved`, ''];
  const more = (left: number, tree: 'base' | 'head') => (left > 0 ? [`\u2026 and ${left} more: \`zt-mesh analyze <${tree}>/${e.environment}\` lists every finding.`, ''] : []);
  if (introduced.length > 0) {
    const { shown, left } = capped(introduced, MAX_FINDINGS);
    out.push('| new | code | object | finding | fix |', '|---|---|---|---|---|', ...findingRows(shown, true), '', ...more(left, 'head'));
  }
  if (resolved.length > 0) {
    const { shown, left } = capped(resolved, MAX_FINDINGS);
    out.push('| resolved | code | object | finding |', '|---|---|---|---|', ...findingRows(shown, false), '', ...more(left, 'base'));
  }
  return out;
}

const refName = (r: ObjectRef) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

function objectsSection(e: EnvironmentReview): string[] {
  const { added, removed, modified } = e.objects;
  if (added.length + removed.length + modified.length === 0) return ['#### Objects', '', 'No object added, removed or modified.', ''];
  const kinds = [...new Set([...added, ...removed, ...modified].map((r) => r.kind))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rows = kinds.map((kind) => {
    const of = (refs: readonly ObjectRef[]) => refs.filter((r) => r.kind === kind);
    const changes = [
      ...of(added).map((r) => `+ ${refName(r)}`), ...of(removed).map((r) => `\u2212 ${refName(r)}`), ...of(modified).map((r) => `~ ${refName(r)}`),
    ];
    const { shown, left } = capped(changes, MAX_NAMES_PER_KIND);
    const names = `${shown.join(', ')}${left > 0 ? `, \u2026 and ${left} more` : ''}`;
    return `| ${kind} | ${of(added).length} | ${of(removed).length} | ${of(modified).length} | ${markdownCell(names)} |`;
  });
  return [`#### Objects: ${added.length} added, ${removed.length} removed, ${modified.length} modified`, '',
    '| kind | added | removed | modified | objects |', '|---|--:|--:|--:|---|', ...rows, ''];
}

/** The details of one changed environment: access, analyzer findings, objects. */
export function formatEnvironmentReview(e: EnvironmentReview): string[] {
  const title = e.presence === 'added' ? ' (new environment: all of it is new)' : e.presence === 'removed' ? ' (environment removed: all of it is gone)' : '';
  return [`### ${e.environment}${title}`, '', ...accessSection(e), ...findingsSection(e), ...objectsSection(e)];
}

/** The whole report: marker, verdict, one summary line per environment, then each changed environment's details. */
export function formatReview(review: Review): string {
  const errors = review.environments.reduce((n, e) => n + e.findings.introduced.filter((f) => f.severity === 'error').length, 0);
  const changed = review.environments.filter((e) => !isUnchangedEnvironment(e));
  const verdict = changed.length === 0
    ? 'No changes: every environment has the same objects, access and analyzer findings in head as in base.'
    : addsErrors(review) ? `**Head adds ${plural(errors, 'analyzer error')}.**` : 'Head adds no analyzer error.';
  const lines = [REVIEW_MARKER, '## zt-mesh review', '', verdict, '', ...review.environments.map(reviewSummaryLine), ''];
  for (const e of changed) for (const line of formatEnvironmentReview(e)) lines.push(line);
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
