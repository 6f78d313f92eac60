// The child of bench/large.ts: reads the mesh from files and runs one phase as the installed
// `zt-mesh` does, on the compiled package (lib/, built by `npm run build`), not on the
// TypeScript sources, and prints one JSON line: the time of each step and the resident set's
// high-water mark.
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { phase: { type: 'string' }, dir: { type: 'string' }, workloads: { type: 'string' } } });
let lib;
try {
  lib = {
    ...(await import('../lib/analysis/load.js')),
    ...(await import('../lib/analysis/analyze.js')),
    ...(await import('../lib/analysis/model.js')),
    ...(await import('../lib/analysis/access/simulator.js')),
    ...(await import('../lib/analysis/access/matrix.js')),
  };
} catch {
  process.stderr.write('bench/large-child.mjs: the compiled package is missing; run `npm run build` first (`npm run bench` does).\n');
  process.exit(2);
}

let start = performance.now();
const loaded = lib.loadPaths([values.dir]);
const loadSeconds = (performance.now() - start) / 1000;
globalThis.gc?.();
start = performance.now();
const extra = values.phase === 'analyze'
  ? { findings: lib.analyzeObjects(loaded.objects).length }
  : { cells: await lib.forEachMatrixColumn(new lib.AccessSimulator(new lib.MeshModel(loaded.objects)), () => {}) };
const seconds = (performance.now() - start) / 1000;
process.stdout.write(`${JSON.stringify({
  phase: values.phase, workloads: Number(values.workloads), objects: loaded.objects.length, loadSeconds, seconds, ...extra,
  peakMb: Math.round(process.resourceUsage().maxRSS / 1024),
})}\n`);
