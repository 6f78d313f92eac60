import { parseArgs } from 'node:util';
import { analyzePaths, hasErrors } from '../analysis/analyze.js';
import { formatFindings, OUTPUT_FORMATS, OutputFormat } from '../analysis/format.js';
import { UsageError } from './main.js';

/** `zt-mesh analyze <file-or-dir>...`: exit 1 when a finding is an error. */
export function analyzeCommand(args: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      format: { type: 'string', default: 'text' },
      'root-namespace': { type: 'string' },
      'trust-domain': { type: 'string' },
      'dns-auto-allocate': { type: 'boolean', default: false },
      'outbound-traffic-policy': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format "${values.format}" is not one of ${OUTPUT_FORMATS.join(', ')}.`);
  const outbound = values['outbound-traffic-policy'];
  if (outbound !== undefined && outbound !== 'ALLOW_ANY' && outbound !== 'REGISTRY_ONLY') {
    throw new UsageError(`--outbound-traffic-policy "${outbound}" is not one of ALLOW_ANY, REGISTRY_ONLY.`);
  }
  if (positionals.length === 0) throw new UsageError('name at least one manifest file or directory to analyze.');
  const findings = analyzePaths(positionals, {
    ...(values['root-namespace'] ? { rootNamespace: values['root-namespace'] } : {}),
    ...(values['trust-domain'] ? { trustDomain: values['trust-domain'] } : {}),
    autoAllocatesServiceEntryAddresses: values['dns-auto-allocate'],
    ...(outbound !== undefined ? { outboundTrafficPolicy: outbound } : {}),
  });
  process.stdout.write(formatFindings(findings, format));
  return hasErrors(findings) ? 1 : 0;
}
