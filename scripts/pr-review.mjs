#!/usr/bin/env node
// Posts `zt-mesh review`'s report on a pull request as one comment, kept up to date on every
// push, and passes the review's exit status on, so that new analyzer errors fail the check.
// Plain Node (20+), no dependencies: .github/workflows/mesh-review.yml runs it after the review.
//
// Usage:
//   node scripts/pr-review.mjs --report <report.md> --status <n> [options]
//   node scripts/pr-review.mjs --synth-failure <synth.log> [options]
//
//   --report <file>         the markdown `zt-mesh review` printed (its first line is the marker
//                           <!-- zt-mesh-review -->)
//   --status <n>            the review's exit status: 0 no new errors, 1 new errors. Any other
//                           status means the review did not run: nothing is posted and the
//                           script exits with that status.
//   --synth-failure <file>  instead of a report: the pull request's mesh did not synthesize
//                           (synth refuses a mesh with analyzer errors); the comment quotes this
//                           log (synth's stderr) and the exit status is 1.
//   --repo <owner/name>     default $GITHUB_REPOSITORY
//   --pr <number>           default: pull_request.number of the event file $GITHUB_EVENT_PATH
//   --api-url <url>         default $GITHUB_API_URL, else https://api.github.com
//   --author <login>        whose marker comment is updated (a marker comment by anyone else is
//                           left alone); default github-actions[bot], the identity of the
//                           workflow's GITHUB_TOKEN. Give your bot's login if you use another token.
//   The token comes from $GITHUB_TOKEN only: an argument would show in the process list.
//
// What it does: prints the report (the job log) and appends it to $GITHUB_STEP_SUMMARY when set;
// lists the pull request's comments (every page) and PATCHes the first one that starts with the
// marker and was written by --author, else POSTs a new one. A body over GitHub's 65,536-character
// limit is cut at a line, with a note pointing at the run's summary. When the pull request comes
// from a fork, whose token is read-only, a refused comment is a warning, not a failure.
//
// Exit status: the review's (0 or 1) once the comment is posted; 2 for a usage mistake (or the
// review's own status when it did not run); 3 when the comment could not be posted (the GitHub API
// refused or could not be reached) or the script itself failed.
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const MARKER = '<!-- zt-mesh-review -->';
const COMMENT_LIMIT = 65_536; // characters in an issue comment's body
const SUMMARY_LIMIT = 300_000; // characters; a step summary may have at most 1 MiB
const DEFAULT_AUTHOR = 'github-actions[bot]';

class UsageError extends Error {}
class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

const log = (message) => process.stderr.write(`pr-review: ${message}\n`);
const annotate = (level, message) => process.stderr.write(process.env.GITHUB_ACTIONS === 'true'
  ? `::${level}::${message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`
  : `pr-review: ${level}: ${message}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      report: { type: 'string' }, status: { type: 'string' }, 'synth-failure': { type: 'string' },
      repo: { type: 'string' }, pr: { type: 'string' }, 'api-url': { type: 'string' }, author: { type: 'string' },
    },
    strict: true,
  });
  const synthLog = values['synth-failure'];
  if (synthLog === undefined && (values.report === undefined || values.status === undefined)) {
    throw new UsageError('give --report <file> and --status <n> (the review\'s exit status), or --synth-failure <log>.');
  }
  if (synthLog !== undefined && (values.report !== undefined || values.status !== undefined)) {
    throw new UsageError('--synth-failure replaces --report and --status: give one or the other.');
  }
  if (values.status !== undefined && !/^\d+$/.test(values.status)) {
    throw new UsageError(`--status must be the review's exit status, a number; got "${values.status}".`);
  }
  const event = readEvent();
  const repo = values.repo ?? process.env.GITHUB_REPOSITORY;
  if (!repo || !/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`the repository must be owner/name (--repo or $GITHUB_REPOSITORY); got "${repo ?? ''}".`);
  const pr = values.pr ?? (event?.pull_request?.number === undefined ? undefined : String(event.pull_request.number));
  if (!pr || !/^[1-9]\d*$/.test(pr)) throw new UsageError(`no pull request number: give --pr <number>, or run on a pull_request event ($GITHUB_EVENT_PATH)${pr ? `; got "${pr}"` : ''}.`);
  const token = process.env.GITHUB_TOKEN;
  if (!token) throw new UsageError('$GITHUB_TOKEN is not set: pass the workflow\'s token in the step\'s env (GITHUB_TOKEN: ${{ github.token }}).');
  const head = event?.pull_request?.head?.repo?.full_name;
  const base = event?.pull_request?.base?.repo?.full_name;
  return {
    report: values.report, status: values.status === undefined ? 1 : Number(values.status), synthLog, repo, pr, token,
    apiUrl: (values['api-url'] ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    author: values.author ?? DEFAULT_AUTHOR,
    fromFork: event?.pull_request !== undefined && head !== base,
  };
}

function readEvent() {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path) return undefined;
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new UsageError(`cannot read the event file $GITHUB_EVENT_PATH (${path}): ${e.message}`); }
}

function readText(path, what) {
  try { return readFileSync(path, 'utf8').replace(/^\uFEFF/, ''); } catch (e) { throw new UsageError(`cannot read ${what} ${path}: ${e.message}`); }
}

/** The comment for a pull request whose mesh did not synthesize: the marker and the log. */
function synthFailureBody(logText) {
  const longestRun = Math.max(0, ...(logText.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${MARKER}\n## zt-mesh review: this pull request's mesh does not synthesize\n\n`
    + `\`zt-mesh synth\` refused it or failed (it refuses a mesh with analyzer errors and writes nothing), `
    + `so there is nothing to compare with the base. Its output:\n\n${fence}text\n${logText.trimEnd()}\n${fence}\n`;
}

/** body, or its first whole lines and a closing code fence if one is open, then note: at most limit characters. */
function fit(body, limit, note) {
  if (body.length <= limit) return body;
  let kept = body.slice(0, limit - note.length - '\n```\n'.length);
  if (kept.lastIndexOf('\n') > 0) kept = kept.slice(0, kept.lastIndexOf('\n') + 1);
  else if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1); // never half a surrogate pair
  const fences = kept.split('\n').filter((line) => /^\s*(```|~~~)/.test(line)).length;
  if (fences % 2 === 1) kept += `${kept.endsWith('\n') ? '' : '\n'}\`\`\`\n`;
  return kept + note;
}

function truncationNote(limitText) {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = process.env;
  const where = server && repo && run ? `the summary of [this check's run](${server}/${repo}/actions/runs/${run})` : 'the summary and the log of this check\'s run';
  return `\n---\n**Truncated**: the report is longer than ${limitText}. The full report is in ${where}.\n`;
}

async function github(method, url, token, body) {
  const path = new URL(url).pathname;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28',
        'user-agent': 'zt-mesh-pr-review', ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new ApiError(`${method} ${url}: could not reach the GitHub API (${e.cause?.message ?? e.message}). Check --api-url / $GITHUB_API_URL and the runner's network.`);
  }
  if (response.ok) return response;
  const text = await response.text();
  let message;
  try { message = JSON.parse(text).message; } catch { message = text.slice(0, 300); }
  const hint = {
    401: 'The token is missing, expired or invalid: check $GITHUB_TOKEN.',
    403: response.headers.get('x-ratelimit-remaining') === '0'
      ? 'The token\'s API rate limit is used up: re-run the job later.'
      : 'The token may not write pull-request comments: give the workflow `permissions: pull-requests: write` (and `contents: read`); a pull request from a fork gets a read-only token.',
    404: 'Check the repository and pull request number, and that the token can read the repository (`contents: read`).',
    422: 'GitHub refused the comment body.',
  }[response.status] ?? 'GitHub may be having trouble: re-run the job.';
  throw new ApiError(`${method} ${path} failed: HTTP ${response.status} ${response.statusText}${message ? `: ${message}` : ''}. ${hint}`, response.status);
}

/** The first marker comment by author, reading every page of the pull request's comments. */
async function findComment({ apiUrl, repo, pr, token, author }) {
  const origin = new URL(apiUrl).origin;
  let url = `${apiUrl}/repos/${repo}/issues/${pr}/comments?per_page=100`;
  while (url) {
    const response = await github('GET', url, token);
    const found = (await response.json()).find((c) => c.user?.login === author && typeof c.body === 'string' && c.body.startsWith(MARKER));
    if (found) return found;
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    if (next && new URL(next).origin !== origin) throw new ApiError(`the next page of comments is at ${next}, outside ${origin}: not following it with the token.`);
    url = next;
  }
  return undefined;
}

async function main() {
  const o = options();
  let body;
  if (o.synthLog !== undefined) {
    body = synthFailureBody(readText(o.synthLog, 'the synth log'));
  } else {
    if (o.status > 1) {
      annotate('error', `zt-mesh review did not run (exit status ${o.status}; its error is in the job log): nothing was posted.`);
      return o.status;
    }
    body = readText(o.report, 'the report');
    if (!body.startsWith(MARKER)) throw new UsageError(`the report ${o.report} does not start with ${MARKER}: is it what zt-mesh review printed?`);
  }

  process.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
  if (process.env.GITHUB_STEP_SUMMARY) {
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, fit(body, SUMMARY_LIMIT, truncationNote('a job summary can hold; the job log has it whole')));
  }

  const comment = fit(body, COMMENT_LIMIT, truncationNote('a GitHub comment can hold (65,536 characters)'));
  try {
    const existing = await findComment(o);
    const response = existing
      ? await github('PATCH', `${o.apiUrl}/repos/${o.repo}/issues/comments/${existing.id}`, o.token, { body: comment })
      : await github('POST', `${o.apiUrl}/repos/${o.repo}/issues/${o.pr}/comments`, o.token, { body: comment });
    const { html_url: link } = await response.json();
    log(`${existing ? 'updated' : 'posted'} the review comment${link ? ` ${link}` : ''}.`);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (o.fromFork && e.status === 403) {
      annotate('warning', `this pull request comes from a fork, whose token is read-only, so the review was not posted as a comment; it is in the job summary. (${e.message})`);
    } else {
      annotate('error', `could not post the review comment on ${o.repo}#${o.pr}: ${e.message}`);
      return 3;
    }
  }
  const status = o.synthLog !== undefined ? 1 : o.status;
  if (status === 1) annotate('error', o.synthLog !== undefined ? 'the pull request\'s mesh does not synthesize: see the review comment.' : 'the pull request adds analyzer errors: see the review comment.');
  return status;
}

try {
  process.exitCode = await main();
} catch (e) {
  const usage = e instanceof UsageError || String(e?.code).startsWith('ERR_PARSE_ARGS');
  annotate('error', usage ? e.message : `unexpected failure: ${e?.stack ?? e}`);
  process.exitCode = usage ? 2 : 3;
}
