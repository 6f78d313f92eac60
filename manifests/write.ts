import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replaces `<outDir>/<name>/` with exactly `files`, so that a reader never sees a half-written
 * environment: the files go to a sibling temporary directory first, which then takes the old
 * directory's place.
 */
export function replaceDirectory(outDir: string, name: string, files: ReadonlyMap<string, string>): void {
  mkdirSync(outDir, { recursive: true });
  const target = join(outDir, name);
  const staging = join(outDir, `.${name}.tmp-${process.pid}`);
  const retired = join(outDir, `.${name}.old-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    for (const [file, content] of files) writeFileSync(join(staging, file), content);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(target)) renameSync(target, retired);
  renameSync(staging, target);
  rmSync(retired, { recursive: true, force: true });
}
