import { parseArgs } from 'node:util';
import { formatReview } from '../analysis/review-report.js';
import { addsErrors, reviewTrees } from '../analysis/review.js';
import { terminalSafe, UsageError } from './main.js';
import { analyzeOptionsOf, MESH_OPTIONS } from './mesh-options.js';

/**
 * `zt-mesh review <base-dir> <head-dir>`: the Markdown review of a pull request's synthesized
 * trees on stdout; exit 1 when head adds an analyzer error, so CI can fail on it.
 */
export async function reviewCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: MESH_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 2) {
    throw new UsageError(`give exactly two trees, the base (before the change) and the head (after it); got ${positionals.length}.`);
  }
  const [base, head] = positionals as [string, string];
  const review = await reviewTrees(base, head, analyzeOptionsOf(values));
  process.stdout.write(terminalSafe(formatReview(review)));
  return addsErrors(review) ? 1 : 0;
}
