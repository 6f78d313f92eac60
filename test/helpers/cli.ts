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
