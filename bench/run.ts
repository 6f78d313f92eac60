import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'cdk8s';
import { stringify } from 'yaml';
import { forEachMatrixCell } from '../analysis/access/matrix.js';
import { AccessSimulator } from '../analysis/access/simulator.js';
import { analyze } from '../analysis/index.js';
import { MeshModel } from '../analysis/model.js';
import { Manifest, renderFiles, replaceDirectory, YAML_OPTIONS } from '../manifests/index.js';
import { defineSyntheticMesh } from './synthetic-mesh.js';
import type { LargeResult } from './large.js';

/**
 * `npm run bench`: what synth, the Pulumi program and the analysis cost as the mesh grows.
 * Medians of several runs; peak memory is the process's resident set high-water mark after each
 * size's synth and analysis (the Pulumi phases run after all sizes). The last line is one JSON
 * object with the headline ratios (see README "Benchmark").
 */

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,3000' },
    runs: { type: 'string', default: '5' },
    'pulumi-sizes': { type: 'string', default: '100,1000' },
    // The issue-20 sizes (bench/large.ts), each in a process of its own: the access matrix at
    // 3,000 and 10,000 workloads, the analyzer at 100,000 objects. About 10 minutes more.
    large: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const pulumiSizes = new Set(values['pulumi-sizes'].split(',').map(Number));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => Math.round(ms) / 1000;
/** Collects garbage left by the previous phase, so no phase pays for another's (needs --expose-gc). */
const settle = (): void => (globalThis as { gc?: () => void }).gc?.();
function timed<T>(fn: () => T): [T, number] {
  settle();
  const start = performance.now();
  const result = fn();
  return [result, performance.now() - start];
}
async function timedAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  settle();
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

interface Row {
  readonly n: number;
  readonly objects: number;
  readonly floor: number;
  readonly synth: number;
  readonly pulumi?: number;
  readonly bare?: number;
  readonly analyze: number;
  readonly matrix: number;
  readonly cells: number;
  readonly peakMb: number;
}

const out = mkdtempSync(join(tmpdir(), 'zt-bench-'));
/** Our synth through the production path: constructs, objects, canonical YAML, files written. */
function synthesize(n: number): Manifest[] {
  const mesh = defineSyntheticMesh(new App(), n);
  const objects = mesh.toJson() as Manifest[];
  replaceDirectory(out, `synthetic-${n}`, renderFiles(objects, { rootNamespace: mesh.rootNamespace, header: 'benchmark' }));
  return objects;
}

const rows: Row[] = [];
for (const n of sizes) {
  const floor: number[] = [];
  const synth: number[] = [];
  const analysis: number[] = [];
  const matrix: number[] = [];
  let manifests: Manifest[] = [];
  let cells = 0;
  // Each phase's runs are grouped (synth with its floor, then the analyzer, then the matrix).
  // Interleaved, every synth ran right after the matrix, whose allocations and code left it
  // re-warming V8's optimized code and caches (about 25 ms more at 1000), while the floor, right
  // after synth, never paid that: the ratio measured the order of phases, not synth.
  for (let run = 0; run < runs; run += 1) {
    manifests = []; // the previous run's objects are not kept alive through this one
    [manifests, synth[run]] = timed(() => synthesize(n));
    // The floor: the very same objects serialized with the same YAML library and options.
    [, floor[run]] = timed(() => manifests.map((m) => stringify(m, YAML_OPTIONS)).join('---\n'));
  }
  for (let run = 0; run < runs; run += 1) [, analysis[run]] = timed(() => analyze(manifests));
  for (let run = 0; run < runs; run += 1) {
    // Counted as they come, none kept, as `zt-mesh access matrix` writes them.
    [cells, matrix[run]] = await timedAsync(() => forEachMatrixCell(new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest })))), () => {}));
  }
  rows.push({
    n, objects: manifests.length, floor: median(floor), synth: median(synth), analyze: median(analysis), matrix: median(matrix), cells,
    peakMb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
}

// The Pulumi SDK is loaded only now, as `zt-mesh synth` never loads it: its modules would
// otherwise sit in the heap that every synth above allocates and collects in.
const pulumiRows = sizes.filter((n) => pulumiSizes.has(n));
if (pulumiRows.length > 0) {
  const { registerBare, registerWithProgram } = await import('./pulumi-registration.js');
  for (const n of pulumiRows) {
    const mesh = defineSyntheticMesh(new App(), n);
    const manifests = mesh.toJson() as Manifest[];
    const pulumi: number[] = [];
    const bare: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      [, bare[run]] = await timedAsync(() => registerBare(manifests));
      [, pulumi[run]] = await timedAsync(() => registerWithProgram(mesh));
    }
    const index = rows.findIndex((r) => r.n === n);
    rows[index] = { ...rows[index]!, pulumi: median(pulumi), bare: median(bare) };
  }
}
rmSync(out, { recursive: true, force: true });

const pad = (v: unknown, w: number) => String(v).padStart(w);
process.stdout.write(`${['N', 'objects', 'floor s', 'synth s', 'synth/floor', 'pulumi s', 'bare s', 'pulumi/bare', 'analyze s', 'matrix s', 'cells', 'peak MB'].map((h) => pad(h, 11)).join(' ')}\n`);
for (const r of rows) {
  process.stdout.write(`${[r.n, r.objects, seconds(r.floor), seconds(r.synth), (r.synth / r.floor).toFixed(2),
    r.pulumi !== undefined ? seconds(r.pulumi) : '-', r.bare !== undefined ? seconds(r.bare) : '-',
    r.pulumi !== undefined && r.bare ? (r.pulumi / r.bare).toFixed(2) : '-', seconds(r.analyze), seconds(r.matrix), r.cells, r.peakMb].map((v) => pad(v, 11)).join(' ')}\n`);
}
let large: LargeResult[] = [];
if (values.large) {
  const { measureLarge } = await import('./large.js');
  // About 6.5 objects per workload: 15,400 workloads make 100,000 objects.
  large = [measureLarge('matrix', 3000), measureLarge('matrix', 10_000), measureLarge('analyze', 15_400)];
  process.stdout.write(`\n${['phase', 'workloads', 'objects', 'load s', 'phase s', 'cells', 'peak MB'].map((h) => pad(h, 11)).join(' ')}\n`);
  for (const r of large) {
    process.stdout.write(`${[r.phase, r.workloads, r.objects, r.loadSeconds.toFixed(2), r.seconds.toFixed(2), r.cells ?? '-', r.peakMb].map((v) => pad(v, 11)).join(' ')}\n`);
  }
}
const at = (n: number) => rows.find((r) => r.n === n);
const r1000 = at(1000) ?? rows[rows.length - 1]!;
const r3000 = at(3000);
const round = (x: number) => Math.round(x * 100) / 100;
const growth = r3000 && at(1000) ? Math.log(r3000.synth / at(1000)!.synth) / Math.log(3000 / 1000) : undefined;
process.stdout.write(`${JSON.stringify({
  synthOverFloor1000: round(r1000.synth / r1000.floor),
  growth1000to3000: growth === undefined ? null : round(growth),
  pulumiOverBare1000: r1000.pulumi !== undefined && r1000.bare ? round(r1000.pulumi / r1000.bare) : null,
  matrix1000Seconds: seconds(r1000.matrix),
  analyze1000Seconds: seconds(r1000.analyze),
  ...(large.length > 0 ? {
    matrix3000Seconds: round(large[0]!.seconds), matrix3000PeakMb: large[0]!.peakMb,
    matrix10000Seconds: round(large[1]!.seconds), matrix10000PeakMb: large[1]!.peakMb,
    analyze100kSeconds: round(large[2]!.seconds), analyze100kPeakMb: large[2]!.peakMb,
  } : {}),
})}\n`);
