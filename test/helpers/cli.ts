// The installed command: the compiled `zt-mesh` (package.json "bin"), which `npm test` builds
// first. Run as a user runs it, in a child process.
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PACKAGE = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { bin: Record<string, string> };
export const ZT_MESH_BIN = join(process.cwd(), PACKAGE.bin['zt-mesh']!);

/** Runs `zt-mesh <args>`; stdout and stderr as text. */
export function ztMesh(args: readonly string[], options: SpawnSyncOptions = {}) {
  return spawnSync(process.execPath, [ZT_MESH_BIN, ...args], { encoding: 'utf8', ...options }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
}

/**
 * Runs the CLI's `main` in this process (fast, and it sees the sources, not the build) and
 * captures what it prints.
 */
export async function runMain(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { jest } = await import('@jest/globals');
  const { main } = await import('../../cli/main.js');
  let stdout = '';
  let stderr = '';
  const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => { stdout += String(chunk); return true; });
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
  try {
    return { status: await main(argv), stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
}
