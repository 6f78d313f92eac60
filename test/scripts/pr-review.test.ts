// scripts/pr-review.mjs, run as the workflow runs it (a child process), against a stand-in for
// GitHub's REST API on 127.0.0.1; and the workflow that runs it, read as GitHub reads it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const SCRIPT = join(process.cwd(), 'scripts', 'pr-review.mjs');
const WORKFLOW = join(process.cwd(), '.github', 'workflows', 'mesh-review.yml');
const MARKER = '<!-- zt-mesh-review -->';
const BOT = 'github-actions[bot]';
const TOKEN = 'test-token';

interface Comment { id: number; user: { login: string }; body: string }
interface Call { method: string; path: string; body?: { body: string } }

/** GitHub's issue-comment endpoints for one repository, paginated two to a page, in memory. */
class FakeGitHub {
  comments: Comment[] = [];
  calls: Call[] = [];
  /** Answers every request whose method is a key with this status and message. */
  refuse: Record<string, { status: number; message: string }> = {};
  private server!: Server;
  private nextId = 1000;
  url = '';

  async start() {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() { return new Promise<void>((resolve) => this.server.close(() => resolve())); }

  add(login: string, body: string) { this.comments.push({ id: this.nextId++, user: { login }, body }); }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let text = '';
    for await (const chunk of req) text += chunk;
    const url = new URL(req.url!, this.url);
    this.calls.push({ method: req.method!, path: url.pathname, ...(text ? { body: JSON.parse(text) } : {}) });
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Bad credentials' });
    const refusal = this.refuse[req.method!];
    if (refusal) return send(refusal.status, { message: refusal.message });
    if (url.pathname === '/repos/acme/gitops/issues/7/comments' && req.method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const next = page * 2 < this.comments.length ? `<${this.url}${url.pathname}?per_page=2&page=${page + 1}>; rel="next"` : '';
      return send(200, this.comments.slice((page - 1) * 2, page * 2), next ? { link: next } : {});
    }
    if (url.pathname === '/repos/acme/gitops/issues/7/comments' && req.method === 'POST') {
      this.add(BOT, JSON.parse(text).body);
      return send(201, { ...this.comments.at(-1), html_url: `https://github.example/acme/gitops/pull/7#issuecomment-${this.nextId - 1}` });
    }
    const existing = /^\/repos\/acme\/gitops\/issues\/comments\/(\d+)$/.exec(url.pathname);
    const comment = existing && this.comments.find((c) => c.id === Number(existing[1]));
    if (comment && req.method === 'PATCH') {
      comment.body = JSON.parse(text).body;
      return send(200, comment);
    }
    return send(404, { message: 'Not Found' });
  }
}

interface Run { status: number | null; stdout: string; stderr: string }

let dir: string;
let github: FakeGitHub;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'zt-pr-review-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => { github = new FakeGitHub(); await github.start(); });
afterEach(() => github.stop());

function file(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const REPORT = `${MARKER}\n## zt-mesh review\n\n| environment | new errors |\n| --- | --- |\n| prod | 0 |\n`;

/** The script with only the GitHub Actions variables given (none of this process's), asynchronously: the fake API answers from this process. */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', GITHUB_REPOSITORY: 'acme/gitops', GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const review = (status: number, report = REPORT, env: Record<string, string> = {}) => run(['--report', file('report.md', report), '--status', String(status), '--pr', '7'], env);

describe('scripts/pr-review.mjs keeps one review comment on the pull request', () => {
  test('creates the comment when there is none, and exits 0 for a clean review', async () => {
    github.add('alice', 'Looks good to me.');
    const result = await review(0);
    expect(result.stderr).toMatch(/posted the review comment https:\/\/github\.example\/acme\/gitops\/pull\/7#issuecomment-\d+/);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(REPORT);
    expect(github.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /repos/acme/gitops/issues/7/comments', 'POST /repos/acme/gitops/issues/7/comments']);
    expect(github.comments.map((c) => [c.user.login, c.body])).toEqual([['alice', 'Looks good to me.'], [BOT, REPORT]]);
  });

  test('updates its marker comment found on a later page, leaving every other comment alone, and exits 1 for new errors', async () => {
    github.add('alice', 'First!');
    github.add('mallory', `${MARKER}\nnot the bot's`);
    github.add('bob', `quoting the bot: ${MARKER}`);
    github.add(BOT, `${MARKER}\nthe previous push's report`);
    github.add('carol', 'more');
    const before = structuredClone(github.comments);
    const result = await review(1);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/updated the review comment/);
    expect(result.stderr).toMatch(/error: the pull request adds analyzer errors/);
    expect(github.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /repos/acme/gitops/issues/7/comments', 'GET /repos/acme/gitops/issues/7/comments', `PATCH /repos/acme/gitops/issues/comments/${before[3]!.id}`]);
    expect(github.comments).toEqual(before.map((c, i) => (i === 3 ? { ...c, body: REPORT } : c)));
  });

  test('--author names the identity whose marker comment is updated', async () => {
    github.add(BOT, `${MARKER}\nold`);
    github.add('mesh-bot[bot]', `${MARKER}\nold`);
    expect((await run(['--report', file('report.md', REPORT), '--status', '0', '--pr', '7', '--author', 'mesh-bot[bot]'])).status).toBe(0);
    expect(github.comments.map((c) => c.body)).toEqual([`${MARKER}\nold`, REPORT]);
  });

  test('takes the pull request number from the event file of a pull_request run', async () => {
    const event = file('event.json', JSON.stringify({ pull_request: { number: 7, head: { repo: { full_name: 'acme/gitops' } }, base: { repo: { full_name: 'acme/gitops' } } } }));
    const result = await run(['--report', file('report.md', REPORT), '--status', '0'], { GITHUB_EVENT_PATH: event });
    expect(result.status).toBe(0);
    expect(github.comments.map((c) => c.body)).toEqual([REPORT]);
  });

  test('a head that does not synthesize is commented with synth\'s output, and exits 1', async () => {
    const log = 'zt-mesh synth: environment "prod": the policy analyzer found 1 error\n\nerror ZT201 ```odd``` ...\n';
    const result = await run(['--synth-failure', file('synth.log', log), '--pr', '7']);
    expect(result.status).toBe(1);
    const [comment] = github.comments;
    expect(comment!.body.startsWith(`${MARKER}\n## zt-mesh review: this pull request's mesh does not synthesize\n`)).toBe(true);
    expect(comment!.body).toContain(`\n\`\`\`\`text\n${log}\`\`\`\`\n`);
  });
});

describe('scripts/pr-review.mjs passes the review\'s exit status on', () => {
  test.each([0, 1])('review status %i is the exit status', async (status) => {
    expect((await review(status)).status).toBe(status);
  });

  test('a review that did not run (status 2) posts nothing and exits 2', async () => {
    const result = await review(2, '');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/zt-mesh review did not run \(exit status 2/);
    expect(github.calls).toEqual([]);
  });

  test('a report without the marker is refused, exit 2, nothing posted', async () => {
    const result = await review(0, '# some other report\n');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/does not start with <!-- zt-mesh-review -->/);
    expect(github.calls).toEqual([]);
  });

  test.each([
    [['--status', '0', '--pr', '7'], /give --report <file> and --status <n>/],
    [['--report', 'r.md', '--status', 'ok', '--pr', '7'], /--status must be the review's exit status, a number; got "ok"/],
    [['--report', 'r.md', '--status', '0'], /no pull request number: give --pr <number>/],
    [['--report', 'r.md', '--status', '0', '--pr', '7', '--bogus'], /Unknown option '--bogus'/],
  ])('usage mistakes are one line and exit 2: %j', async (args, message) => {
    const result = await run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(github.calls).toEqual([]);
  });

  test('without a token it says how to pass one, exit 2', async () => {
    const result = await run(['--report', file('report.md', REPORT), '--status', '0', '--pr', '7'], { GITHUB_TOKEN: '' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/\$GITHUB_TOKEN is not set/);
  });
});

describe('scripts/pr-review.mjs says clearly why GitHub refused', () => {
  test('a 403 names the status, GitHub\'s message and the permission to check; exit 3 even for a clean review', async () => {
    github.refuse.POST = { status: 403, message: 'Resource not accessible by integration' };
    const result = await review(0);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/could not post the review comment on acme\/gitops#7: POST \/repos\/acme\/gitops\/issues\/7\/comments failed: HTTP 403 Forbidden: Resource not accessible by integration\. .*permissions: pull-requests: write/);
  });

  test('a bad token is a 401 that says to check $GITHUB_TOKEN, exit 3', async () => {
    const result = await review(0, REPORT, { GITHUB_TOKEN: 'expired' });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/GET \/repos\/acme\/gitops\/issues\/7\/comments failed: HTTP 401 Unauthorized: Bad credentials\. The token is missing, expired or invalid/);
  });

  test('an API that cannot be reached is exit 3, naming the URL', async () => {
    await github.stop();
    const closed = github.url;
    github = new FakeGitHub();
    await github.start();
    const result = await review(0, REPORT, { GITHUB_API_URL: closed });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/could not reach the GitHub API/);
  });

  test('on a fork\'s pull request (read-only token) a refused comment is a warning: the report is in the job summary, the status the review\'s', async () => {
    github.refuse.POST = { status: 403, message: 'Resource not accessible by integration' };
    const event = file('fork.json', JSON.stringify({ pull_request: { number: 7, head: { repo: { full_name: 'someone/gitops' } }, base: { repo: { full_name: 'acme/gitops' } } } }));
    const summary = file('summary.md', '');
    for (const status of [0, 1]) {
      const result = await run(['--report', file('report.md', REPORT), '--status', String(status)], { GITHUB_EVENT_PATH: event, GITHUB_STEP_SUMMARY: summary });
      expect(result.status).toBe(status);
      expect(result.stderr).toMatch(/warning: this pull request comes from a fork, whose token is read-only/);
    }
    expect(readFileSync(summary, 'utf8')).toBe(REPORT + REPORT);
  });
});

describe('scripts/pr-review.mjs fits GitHub\'s comment limit', () => {
  test('a report over 65,536 characters is cut at a line, its open code block closed, with a note; the job summary has it whole', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `| ZT201 | prod | namespace-${i} | a grant that can never match ✓ |`);
    const report = `${MARKER}\n## zt-mesh review\n\n\`\`\`text\n${lines.join('\n')}\n\`\`\`\n`;
    expect(report.length).toBeGreaterThan(65_536);
    const summary = file('summary.md', '');
    const result = await review(1, report, { GITHUB_STEP_SUMMARY: summary, GITHUB_SERVER_URL: 'https://github.example', GITHUB_RUN_ID: '42' });
    expect(result.status).toBe(1);
    const body = github.comments[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body.startsWith(`${MARKER}\n## zt-mesh review\n`)).toBe(true);
    const [kept, note] = body.split('\n```\n\n---\n');
    expect(report.startsWith(`${kept}\n`)).toBe(true);
    expect(note).toBe('**Truncated**: the report is longer than a GitHub comment can hold (65,536 characters). The full report is in the summary of [this check\'s run](https://github.example/acme/gitops/actions/runs/42).\n');
    expect(readFileSync(summary, 'utf8')).toBe(report);
    expect(result.stdout).toBe(report);
  });

  test('a report at the limit is posted as it is', async () => {
    const report = `${MARKER}\n${'x'.repeat(65_536 - MARKER.length - 2)}\n`;
    expect(report.length).toBe(65_536);
    await review(0, report);
    expect(github.comments[0]!.body).toBe(report);
  });
});

describe('.github/workflows/mesh-review.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const workflow = parse(text) as {
    on: Record<string, unknown>; permissions: Record<string, string>;
    jobs: Record<string, { permissions?: unknown; steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

  test('runs on pull_request only, never pull_request_target', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
  });

  test('asks for exactly contents: read and pull-requests: write, and no job asks for more', () => {
    expect(workflow.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    for (const job of Object.values(workflow.jobs)) expect(job.permissions).toBeUndefined();
  });

  test('pins every action to a full commit SHA with its exact version beside it', () => {
    const uses = steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.length).toBeGreaterThanOrEqual(2);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w.\/-]+)?@([0-9a-f]{40}|v\d+\.\d+\.\d+)$/);
    const lines = text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(lines).toHaveLength(uses.length);
    for (const l of lines) expect(l).toMatch(/@(v\d+\.\d+\.\d+|[0-9a-f]{40} # v\d+\.\d+\.\d+)$/);
  });

  test('checks out without keeping credentials, on Node 20, and comments through scripts/pr-review.mjs', () => {
    for (const s of steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) expect(s.with?.['persist-credentials']).toBe(false);
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(20);
    expect(steps.some((s) => /node scripts\/pr-review\.mjs --report .* --status /.test(s.run ?? ''))).toBe(true);
    expect(steps.some((s) => /zt-mesh review .*> "\$RUNNER_TEMP\/report\.md"/.test(s.run ?? ''))).toBe(true);
  });
});
