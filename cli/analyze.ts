import { parseArgs } from 'node:util';
import { analyzePaths, hasErrors } from '../analysis/analyze.js';
import { formatFindings, OUTPUT_FORMATS, OutputFormat } from '../analysis/format.js';
import { terminalSafe, UsageError } from './main.js';
import { analyzeOptionsOf, MESH_OPTIONS } from './mesh-options.js';

/** `zt-mesh analyze <file-or-dir>...`: exit 1 when a finding is an error (3, from main, when it fails). */
export function analyzeCommand(args: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      format: { type: 'string', default: 'text' },
      ...MESH_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format "${values.format}" is not one of ${OUTPUT_FORMATS.join(', ')}.`);
  if (positionals.length === 0) throw new UsageError('name at least one manifest file or directory to analyze.');
  const findings = analyzePaths(positionals, analyzeOptionsOf(values));
  process.stdout.write(terminalSafe(formatFindings(findings, format)));
  return hasErrors(findings) ? 1 : 0;
}
