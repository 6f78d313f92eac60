import { ACCESS_USAGE, ANALYZE_USAGE, REVIEW_USAGE, SYNTH_USAGE, USAGE } from './usage.js';

/** A command-line mistake: one line plus the usage, exit 2. */
export class UsageError extends Error {}

/**
 * The exit status of an internal failure: zt-mesh itself failed on the input (a bug), which a CI
 * gate must not mistake for findings (1) or unusable input (2). Documented in the usage.
 */
export const INTERNAL_FAILURE = 3;

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
    process.stderr.write(`zt-mesh: unknown command "${terminalSafe(verb)}".\n\n${USAGE}`);
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
      process.stderr.write(`zt-mesh ${verb}: ${terminalSafe((error as Error).message)}\n\nUsage:\n${usage}`);
      return 2;
    }
    // The analyzer's and simulator's input errors: a message for the user, no stack.
    if (error instanceof Error && (error.name === 'AccessRequestError' || error.name === 'AnalysisInputError')) {
      process.stderr.write(`zt-mesh ${verb}: ${terminalSafe(error.message)}\n`);
      return 2;
    }
    process.stderr.write(`${internalFailure(verb, rest, error)}\n`);
    return INTERNAL_FAILURE;
  }
}

/**
 * One line for an internal failure: the verb, its arguments (the input it failed on) and the
 * error, without a stack trace, which says nothing to a user and buries the line a CI log shows.
 */
export function internalFailure(verb: string, args: readonly string[], error: unknown): string {
  const name = typeof error === 'object' && error !== null && typeof (error as Error).name === 'string' ? (error as Error).name : 'Error';
  const message = typeof error === 'object' && error !== null && typeof (error as Error).message === 'string' ? (error as Error).message : String(error);
  const input = args.length > 0 ? args.map((a) => JSON.stringify(a)).join(' ') : '(no arguments)';
  const line = `zt-mesh ${verb}: internal failure (exit ${INTERNAL_FAILURE}) on ${input}: ${name}: ${message.split('\n')[0]}. This is a bug in zt-mesh, not a verdict on the input; please report it with the input.`;
  return terminalSafe(line);
}


/**
 * node:util parseArgs reports unknown options and missing values with ERR_PARSE_ARGS_* codes. Read
 * by shape, not `instanceof Error`: Node's own errors come from another realm under a VM (jest).
 */
function isParseArgsError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * Text made safe for a terminal: control characters (ANSI escapes from object names in
 * manifests, carriage returns, C1 controls) are written as `\u001b`-style escapes, so manifest
 * text cannot move the cursor, recolour or rewrite what was printed. Line feeds and tabs stay.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
