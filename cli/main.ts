import { ACCESS_USAGE, ANALYZE_USAGE, REVIEW_USAGE, SYNTH_USAGE, USAGE } from './usage.js';

/** A command-line mistake: one line plus the usage, exit 2. */
export class UsageError extends Error {}

const VERB_USAGE: Readonly<Record<string, string>> = { synth: SYNTH_USAGE, analyze: ANALYZE_USAGE, access: ACCESS_USAGE, review: REVIEW_USAGE };

/**
 * Runs one CLI invocation; resolves to the exit status. Each verb's code is loaded only when
 * that verb runs (the analyzer, the simulator and YAML are not needed to print help).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    process.stdout.write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  const usage = Object.hasOwn(VERB_USAGE, verb) ? VERB_USAGE[verb]! : undefined;
  if (usage === undefined) {
    process.stderr.write(`zt-mesh: unknown command "${verb}".\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage:\n${usage}`);
    return 0;
  }
  try {
    switch (verb) {
      case 'synth': return await (await import('./synth.js')).synth(rest);
      case 'analyze': return await (await import('./analyze.js')).analyzeCommand(rest);
      case 'review': return await (await import('./review.js')).reviewCommand(rest);
      default: return await (await import('./access.js')).access(rest);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(`zt-mesh ${verb}: ${(error as Error).message}\n\nUsage:\n${usage}`);
      return 2;
    }
    // The analyzer's and simulator's input errors: a message for the user, no stack.
    if (error instanceof Error && (error.name === 'AccessRequestError' || error.name === 'AnalysisInputError')) {
      process.stderr.write(`zt-mesh ${verb}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * node:util parseArgs reports unknown options and missing values with ERR_PARSE_ARGS_* codes. Read
 * by shape, not `instanceof Error`: Node's own errors come from another realm under a VM (jest).
 */
function isParseArgsError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
