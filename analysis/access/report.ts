import type { ChainStep } from './chain.js';
import type { MatrixCell, MatrixColumn } from './matrix.js';
import type { Outcome } from './simulator.js';

/** Views of the access matrix, its diff, and a token's journey, for terminals and pull requests. */

export type MatrixFormat = 'text' | 'markdown' | 'json';

const SHORT: Record<Outcome, string> = { allow: 'allow', 'deny-401': '401', 'deny-403': '403', reset: 'reset', 'no-route': '-', blocked: 'blocked', dropped: 'dropped' };

const column = (c: Pick<MatrixCell, 'to' | 'port' | 'token'>) => `${c.to}:${c.port}${c.token ? ` (${c.token} token)` : ''}`;

const LEGEND = 'allow: allowed; 401: token rejected; 403: denied by policy (or token audience); reset: mTLS mismatch or TCP closed by policy; -: not routable';
const EGRESS_LEGEND = '; blocked: refused by the caller\'s own sidecar (host not in its Sidecar scope under REGISTRY_ONLY: 502, or TCP closed); dropped: dropped by a NetworkPolicy (the connection times out)';

/**
 * Receives consecutive pieces of a view, in order; their concatenation is the view. A sink that
 * cannot take more for now returns a promise that it can, which `MatrixWriter.finish` awaits.
 */
export type TextSink = (chunk: string) => void | Promise<void>;

/** Outcomes by code in the compact grid (0: no cell there). */
const OUTCOMES: readonly Outcome[] = ['allow', 'deny-401', 'deny-403', 'reset', 'no-route', 'blocked', 'dropped'];
const CODE = new Map(OUTCOMES.map((o, i) => [o, i + 1]));

/**
 * Writes the access matrix as cells arrive, so no view of millions of cells is ever one string
 * (V8 caps a string at about 512 MB; `JSON.stringify` of 12 million cells exceeded it). JSON is
 * written cell by cell. Text and markdown need the whole grid (the columns are only known at the
 * end, and markdown is row by row): it is kept as one byte per cell, not as cells, and written
 * line by line and name by name at `end`. The output is byte-identical to `formatMatrix`'s.
 */
export class MatrixWriter {
  private count = 0;
  private egress = false;
  private readonly columns = new Map<string, number>();
  /** Each caller's number in the grid, in order of first appearance, and per number one byte per column (the outcome's code). */
  private readonly rowNumbers = new Map<string, number>();
  private readonly cells: Uint8Array[] = [];
  /** The grid rows of a column's callers, per callers array (columns share them). */
  private readonly gridRows = new WeakMap<readonly string[], number[]>();

  public constructor(private readonly format: MatrixFormat, private readonly write: TextSink) {}

  /**
   * A whole column (`forEachMatrixColumn`): the same output as adding its cells one by one, but
   * for text and markdown without putting any cell together (those views show outcomes only).
   */
  public addColumn(column: MatrixColumn): void {
    const { from } = column;
    if (this.format === 'json') {
      for (let row = 0; row < from.length; row += 1) this.add(column.cell(row));
      return;
    }
    const index = this.columnIndex(column);
    let grid = this.gridRows.get(from);
    if (!grid) {
      grid = from.map((name) => this.rowOf(name));
      this.gridRows.set(from, grid);
    }
    for (let row = 0; row < from.length; row += 1) {
      const outcome = column.outcome(row);
      if (outcome === 'blocked' || outcome === 'dropped') this.egress = true;
      this.set(grid[row]!, index, CODE.get(outcome)!);
    }
    this.count += from.length;
  }

  public add(cell: MatrixCell): void {
    if (this.format === 'json') {
      // The cell as JSON.stringify(cells, null, 2) lays out an element: its lines indented by two.
      this.write(`${this.count === 0 ? '[\n' : ',\n'}  ${JSON.stringify(cell, null, 2).replace(/\n/g, '\n  ')}`);
      this.count += 1;
      return;
    }
    if (cell.outcome === 'blocked' || cell.outcome === 'dropped') this.egress = true;
    this.set(this.rowOf(cell.from), this.columnIndex(cell), CODE.get(cell.outcome)!);
    this.count += 1;
  }

  private columnIndex(cell: Pick<MatrixCell, 'to' | 'port' | 'token'>): number {
    const name = column(cell);
    let index = this.columns.get(name);
    if (index === undefined) {
      index = this.columns.size;
      this.columns.set(name, index);
    }
    return index;
  }

  /** The grid row of a caller (a new one, after the others, the first time). */
  private rowOf(from: string): number {
    let row = this.rowNumbers.get(from);
    if (row === undefined) {
      row = this.rowNumbers.size;
      this.rowNumbers.set(from, row);
      this.cells.push(new Uint8Array(16));
    }
    return row;
  }

  private set(row: number, index: number, code: number): void {
    let cells = this.cells[row]!;
    if (cells.length <= index) {
      // Grown by doubling (a later cell for the same place wins).
      const grown = new Uint8Array(Math.max(16, (index + 1) * 2, cells.length * 2));
      grown.set(cells);
      cells = grown;
      this.cells[row] = cells;
    }
    cells[index] = code;
  }

  /** Writes what remains (the whole grid for text and markdown). */
  public end(): void {
    for (const piece of this.rest()) void this.write(piece);
  }

  /** As `end`, waiting for the sink whenever it asks to (a full pipe). */
  public async finish(): Promise<void> {
    for (const piece of this.rest()) {
      const full = this.write(piece);
      if (full) await full;
    }
  }

  /** The pieces `end` writes. */
  private *rest(): Generator<string> {
    if (this.format === 'json') {
      yield this.count === 0 ? '[]\n' : '\n]\n';
      return;
    }
    const legend = this.egress ? `${LEGEND}${EGRESS_LEGEND}` : LEGEND;
    const columns = [...this.columns.keys()];
    const value = (row: Uint8Array, index: number): string => {
      const code = index < row.length ? row[index]! : 0;
      return code === 0 ? '' : SHORT[OUTCOMES[code - 1]!];
    };
    if (this.format === 'markdown') {
      yield `| from | ${columns.join(' | ')} |\n|---|${columns.map(() => '---').join('|')}|`;
      for (const [from, number] of this.rowNumbers) {
        const row = this.cells[number]!;
        const parts = [`\n| ${from} |`];
        for (let index = 0; index < columns.length; index += 1) {
          const v = value(row, index);
          parts.push(` ${v === 'allow' ? '**allow**' : v} |`);
        }
        yield parts.join('');
      }
      yield `\n\n${legend}\n`;
      return;
    }
    // Text: one block per destination column, listing who gets through and who does not (one
    // piece per column: a piece per name made the pieces, not the text, the cost).
    for (const [index, name] of columns.entries()) {
      const allowed: string[] = [];
      const refused: string[] = [];
      for (const [from, number] of this.rowNumbers) {
        const row = this.cells[number]!;
        const v = value(row, index);
        if (v === 'allow') allowed.push(from);
        else if (v !== '') refused.push(`${from} (${v})`);
      }
      yield `${index > 0 ? '\n' : ''}${name}\n  allowed: ${allowed.length > 0 ? allowed.join(', ') : 'nobody'}\n  refused: ${refused.length > 0 ? refused.join(', ') : 'nobody'}`;
    }
    yield `\n\n${legend}\n`;
  }
}

/** The matrix as one string; for large matrices write it with `MatrixWriter` instead. */
export function formatMatrix(cells: Iterable<MatrixCell>, format: MatrixFormat): string {
  const parts: string[] = [];
  const writer = new MatrixWriter(format, (chunk) => { parts.push(chunk); });
  for (const cell of cells) writer.add(cell);
  writer.end();
  return parts.join('');
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
