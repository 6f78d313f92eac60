import type { ChainStep } from './chain.js';
import type { MatrixCell } from './matrix.js';
import type { Outcome } from './simulator.js';

/** Views of the access matrix, its diff, and a token's journey, for terminals and pull requests. */

export type MatrixFormat = 'text' | 'markdown' | 'json';

const SHORT: Record<Outcome, string> = { allow: 'allow', 'deny-401': '401', 'deny-403': '403', reset: 'reset', 'no-route': '-', blocked: 'blocked', dropped: 'dropped' };

const column = (c: MatrixCell) => `${c.to}:${c.port}${c.token ? ` (${c.token} token)` : ''}`;

function grid(cells: readonly MatrixCell[]): { columns: string[]; rows: [string, string[]][] } {
  const columns = [...new Set(cells.map(column))];
  const byRow = new Map<string, Map<string, string>>();
  for (const cell of cells) {
    const row = byRow.get(cell.from) ?? new Map<string, string>();
    row.set(column(cell), SHORT[cell.outcome]);
    byRow.set(cell.from, row);
  }
  return { columns, rows: [...byRow].map(([from, row]) => [from, columns.map((c) => row.get(c) ?? '')]) };
}

const LEGEND = 'allow: allowed; 401: token rejected; 403: denied by policy (or token audience); reset: mTLS mismatch or TCP closed by policy; -: not routable';
const EGRESS_LEGEND = '; blocked: refused by the caller\'s own sidecar (host not in its Sidecar scope under REGISTRY_ONLY: 502, or TCP closed); dropped: dropped by a NetworkPolicy (the connection times out)';

/** The legend, naming the egress outcomes only where the matrix has them (older matrices read as before). */
function legend(cells: readonly MatrixCell[]): string {
  return cells.some((c) => c.outcome === 'blocked' || c.outcome === 'dropped') ? `${LEGEND}${EGRESS_LEGEND}` : LEGEND;
}

export function formatMatrix(cells: readonly MatrixCell[], format: MatrixFormat): string {
  if (format === 'json') return `${JSON.stringify(cells, null, 2)}\n`;
  const { columns, rows } = grid(cells);
  if (format === 'markdown') {
    const lines = [`| from | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`];
    for (const [from, values] of rows) lines.push(`| ${from} | ${values.map((v) => (v === 'allow' ? '**allow**' : v)).join(' | ')} |`);
    return `${lines.join('\n')}\n\n${legend(cells)}\n`;
  }
  // Text: one block per destination column, listing who gets through and who does not.
  const out: string[] = [];
  for (const [index, name] of columns.entries()) {
    const allowed = rows.filter(([, v]) => v[index] === 'allow').map(([from]) => from);
    const others = rows.filter(([, v]) => v[index] !== 'allow' && v[index] !== '').map(([from, v]) => `${from} (${v[index]})`);
    out.push(`${name}\n  allowed: ${allowed.join(', ') || 'nobody'}\n  refused: ${others.join(', ') || 'nobody'}`);
  }
  return `${out.join('\n')}\n\n${legend(cells)}\n`;
}

/** An access edge that changed between two matrices. */
export interface AccessChange {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly token?: string;
  readonly before?: Outcome;
  readonly after?: Outcome;
  readonly reason: string;
}

export interface AccessDiff {
  /** Edges allowed now and not before. */
  readonly gained: readonly AccessChange[];
  /** Edges allowed before and not now. */
  readonly lost: readonly AccessChange[];
  /** Other outcome changes (say 403 → reset), and edges that appeared or vanished while refused. */
  readonly changed: readonly AccessChange[];
}

/** A matrix cell's identity across two matrices: caller, destination, port and token variant. */
export function edgeKey(c: { readonly from: string; readonly to: string; readonly port: number; readonly token?: string }): string {
  return `${c.from}\u0000${c.to}\u0000${c.port}\u0000${c.token ?? ''}`;
}

export function diffMatrices(before: readonly MatrixCell[], after: readonly MatrixCell[]): AccessDiff {
  const old = new Map(before.map((c) => [edgeKey(c), c]));
  const now = new Map(after.map((c) => [edgeKey(c), c]));
  const gained: AccessChange[] = [];
  const lost: AccessChange[] = [];
  const changed: AccessChange[] = [];
  for (const k of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const was = old.get(k);
    const is = now.get(k);
    if (was?.outcome === is?.outcome) continue;
    const cell = (is ?? was)!;
    const change: AccessChange = {
      from: cell.from, to: cell.to, port: cell.port, ...(cell.token ? { token: cell.token } : {}),
      ...(was ? { before: was.outcome } : {}), ...(is ? { after: is.outcome } : {}),
      reason: is?.reason ?? `no longer in the manifests (was: ${was!.reason})`,
    };
    if (is?.outcome === 'allow') gained.push(change);
    else if (was?.outcome === 'allow') lost.push(change);
    else changed.push(change);
  }
  return { gained, lost, changed };
}

/** An edge as reviewers read it: `caller → namespace/service:port (valid token)`. */
export function formatEdge(c: Pick<AccessChange, 'from' | 'to' | 'port' | 'token'>): string {
  return `${c.from} → ${c.to}:${c.port}${c.token ? ` (${c.token} token)` : ''}`;
}

/** An outcome in the matrix's short words (`allow`, `403`, `reset`, ...); `absent` when the edge did not exist. */
export function formatOutcome(o: Outcome | undefined): string {
  return o ? SHORT[o] : 'absent';
}

export function formatDiff(diff: AccessDiff, format: 'text' | 'markdown' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(diff, null, 2)}\n`;
  const total = diff.gained.length + diff.lost.length + diff.changed.length;
  if (format === 'markdown') {
    if (total === 0) return '### Access changes\n\nNo access changes: every caller reaches exactly what it reached before.\n';
    const section = (title: string, changes: readonly AccessChange[]) => (changes.length === 0 ? [] : [
      `#### ${title} (${changes.length})`, '', '| caller → destination | before | after | why |', '|---|---|---|---|',
      ...changes.map((c) => `| ${formatEdge(c)} | ${formatOutcome(c.before)} | ${formatOutcome(c.after)} | ${c.reason.replace(/\|/g, '\\|')} |`), '',
    ]);
    return [`### Access changes: ${diff.gained.length} gained, ${diff.lost.length} lost, ${diff.changed.length} other`, '',
      ...section('Gained', diff.gained), ...section('Lost', diff.lost), ...section('Other changes', diff.changed)].join('\n');
  }
  if (total === 0) return 'No access changes.\n';
  const lines = (sign: string, changes: readonly AccessChange[]) => changes.map((c) => `${sign} ${formatEdge(c)}: ${formatOutcome(c.before)} → ${formatOutcome(c.after)}\n    ${c.reason}`);
  return `${[...lines('+', diff.gained), ...lines('-', diff.lost), ...lines('~', diff.changed)].join('\n')}\n`;
}

export function formatChain(steps: readonly ChainStep[], format: 'text' | 'markdown' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(steps, null, 2)}\n`;
  const rows = steps.map((s, i) => {
    const token = s.tokenArrived ? (s.tokenForwarded ? 'arrives, forwarded' : s.outcome === 'allow' ? 'arrives, stripped here' : 'arrives') : 'absent';
    return { n: i + 1, edge: `${s.from} → ${s.to}${s.external ? ' (external)' : ''}`, outcome: SHORT[s.outcome], token, reason: s.reason };
  });
  if (format === 'markdown') {
    return ['| hop | call | outcome | token | why |', '|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.n} | ${r.edge} | ${r.outcome} | ${r.token} | ${r.reason.replace(/\|/g, '\\|')} |`)].join('\n') + '\n';
  }
  return `${rows.map((r) => `${r.n}. ${r.edge}: ${r.outcome}; token ${r.token}\n   ${r.reason}`).join('\n')}\n`;
}
