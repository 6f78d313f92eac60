import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'cdk8s';
import { Manifest, renderFiles, replaceDirectory } from '../manifests/index.js';
import { defineSyntheticMesh } from './synthetic-mesh.js';

/**
 * The issue-20 sizes, each in a process of its own so that its peak memory is its own: the
 * synthetic mesh is written to files first (by the calling process), then a child reads them as
 * `zt-mesh analyze` and `zt-mesh access matrix` do, on the compiled package (`lib/`, so build
 * first), and reports the time of each step and its resident set high-water mark. Run by
 * `bench/run.ts --large` (`npm run bench -- --large` builds first), or alone:
 *
 *     npm run build && node --expose-gc --import tsx bench/large.ts --phase matrix --workloads 3000
 */

export interface LargeResult {
  readonly phase: 'analyze' | 'matrix';
  readonly workloads: number;
  readonly objects: number;
  /** Reading and parsing the files. */
  readonly loadSeconds: number;
  /** The analyzer, or the whole matrix (cells counted as they are computed, none kept). */
  readonly seconds: number;
  readonly cells?: number;
  readonly findings?: number;
  /** The child process's resident set high-water mark: loading included. */
  readonly peakMb: number;
}

/** Writes the synthetic mesh of `workloads` to a temporary directory and measures `phase` on it in a child process. */
export function measureLarge(phase: 'analyze' | 'matrix', workloads: number, heapMb = 4096): LargeResult {
  const root = mkdtempSync(join(tmpdir(), 'zt-bench-large-'));
  try {
    const mesh = defineSyntheticMesh(new App(), workloads);
    replaceDirectory(root, 'mesh', renderFiles(mesh.toJson() as Manifest[], { rootNamespace: mesh.rootNamespace, header: 'benchmark' }));
    // The child runs the compiled package, as the installed `zt-mesh` does (bench/large-child.mjs).
    const out = execFileSync(process.execPath, [`--max-old-space-size=${heapMb}`, '--expose-gc', new URL('large-child.mjs', import.meta.url).pathname,
      '--phase', phase, '--dir', join(root, 'mesh'), '--workloads', String(workloads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop()!) as LargeResult;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({ options: { phase: { type: 'string' }, workloads: { type: 'string' } } });
  const workloads = Number(values.workloads);
  if (values.phase === 'analyze' || values.phase === 'matrix') {
    process.stdout.write(`${JSON.stringify(measureLarge(values.phase, workloads))}\n`);
  } else {
    process.stderr.write('usage: bench/large.ts --phase analyze|matrix --workloads <n>\n');
    process.exitCode = 2;
  }
}
