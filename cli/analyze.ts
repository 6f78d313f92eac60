import { parseArgs } from 'node:util';
import { analyzePaths, hasErrors } from '../analysis/analyze.js';
import { formatFindings, OUTPUT_FORMATS, OutputFormat } from '../analysis/format.js';
import type { OutboundTrafficPolicy } from '../analysis/model.js';
import { UsageError } from './main.js';

/** The `--outbound-traffic-policy` value as an option (none when not given); a usage error otherwise. */
export function outboundTrafficPolicyOption(value: string | undefined): { outboundTrafficPolicy?: OutboundTrafficPolicy } {
  if (value === undefined) return {};
  if (value !== 'ALLOW_ANY' && value !== 'REGISTRY_ONLY') throw new UsageError(`--outbound-traffic-policy "${value}" is not one of ALLOW_ANY, REGISTRY_ONLY.`);
  return { outboundTrafficPolicy: value };
}

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
  if (positionals.length === 0) throw new UsageError('name at least one manifest file or directory to analyze.');
  const findings = analyzePaths(positionals, {
    ...(values['root-namespace'] ? { rootNamespace: values['root-namespace'] } : {}),
    ...(values['trust-domain'] ? { trustDomain: values['trust-domain'] } : {}),
    autoAllocatesServiceEntryAddresses: values['dns-auto-allocate'],
    ...outboundTrafficPolicyOption(values['outbound-traffic-policy']),
  });
  process.stdout.write(formatFindings(findings, format));
  return hasErrors(findings) ? 1 : 0;
}
