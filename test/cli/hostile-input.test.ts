// The command line on hostile input (issue 20): an internal failure is exit 3 with one line naming
// the input (so a CI gate can tell it from findings), never a stack trace; unusable input is exit
// 2 with a line that says what to change; nothing blocks; manifest text cannot drive the terminal.
import { jest } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { main } from '../../cli/main.js';
import { defineSyntheticMesh } from '../../bench/synthetic-mesh.js';
import { Manifest, renderFiles, replaceDirectory } from '../../manifests/index.js';
import { runMain, ZT_MESH_BIN } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'zt-cli-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mesh = join(dir, 'mesh');
mkdirSync(mesh);
writeFileSync(join(mesh, 'apps.yaml'), [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: foo, labels: {istio-injection: enabled}}\n',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: foo}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: "x:1", ports: [{containerPort: 80}]}]}}}\n',
  'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: foo}\nspec: {selector: {app: web}, ports: [{name: http, port: 80}]}\n',
].join('---\n'));
const request = (extra: Record<string, unknown> = {}) => JSON.stringify({ from: { outside: true }, to: 'foo/web', port: 80, ...extra });

describe('an internal failure', () => {
  /** Runs main with stdout failing as `error`: a failure inside the command, after the input was read. */
  async function failingStdout(error: Error, ...argv: string[]) {
    let stderr = '';
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => { throw error; });
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
    try {
      return { status: await main(argv), stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  test.each([
    ['analyze', [mesh]],
    ['access', ['check', '--manifests', mesh, '--request', request()]],
  ])('in %s is exit 3 and one line naming the input and the error, no stack trace', async (verb, args) => {
    const boom = new RangeError('Maximum call stack size exceeded');
    const { status, stderr } = await failingStdout(boom, verb, ...args);
    expect(status).toBe(3);
    expect(stderr.split('\n')).toEqual([
      `zt-mesh ${verb}: internal failure (exit 3) on ${args.map((a) => JSON.stringify(a)).join(' ')}: RangeError: Maximum call stack size exceeded. This is a bug in zt-mesh, not a verdict on the input; please report it with the input.`,
      '',
    ]);
  });

  test('the usage of analyze, access and review documents exit status 3', async () => {
    for (const verb of ['analyze', 'access', 'review']) {
      expect([verb, (await runMain(verb, '--help')).stdout]).toEqual([verb, expect.stringMatching(/3 when the \w+ itself failed \(one line naming the input; a bug to report\)/)]);
    }
  });
});

describe('unusable input is exit 2 with one line that says what to change', () => {
  test('a FIFO given to analyze is refused without being read (it would block forever)', async () => {
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const result = await runMain('analyze', fifo);
    expect(result).toEqual({ status: 2, stdout: '', stderr: `zt-mesh analyze: ${fifo}: is a named pipe (FIFO), not a file or directory, so it was not read (reading it could wait forever); give a YAML file or a directory of them.\n` });
    const asRequest = await runMain('access', 'check', '--manifests', mesh, '--request', fifo);
    expect(asRequest).toEqual({ status: 2, stdout: '', stderr: `zt-mesh access: --request: ${fifo} is not a regular file (a pipe, socket or device); name a file.\n` });
  });

  test('an unreadable subdirectory is one line naming it, not a raw EACCES (the installed command)', () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'locked'), { recursive: true });
    writeFileSync(join(tree, 'ok.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\n');
    chmodSync(dir, 0o755);
    chmodSync(join(tree, 'locked'), 0o000);
    try {
      // Root reads any directory whatever its mode: then run the command as nobody.
      const asRoot = process.getuid?.() === 0;
      const [command, args] = asRoot ? ['runuser', ['-u', 'nobody', '--', process.execPath]] : [process.execPath, []];
      const result = spawnSync(command, [...args, ZT_MESH_BIN, 'analyze', tree], { encoding: 'utf8' });
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
        status: 2, stdout: '',
        stderr: `zt-mesh analyze: ${join(tree, 'locked')}: the directory cannot be read (EACCES); give read access to it, or name the directories to analyze one by one.\n`,
      });
    } finally {
      chmodSync(join(tree, 'locked'), 0o755);
    }
  });

  test('a self-referencing symlink is a loop, not "no such file"', async () => {
    const loop = join(dir, 'loop.yaml');
    symlinkSync(loop, loop);
    const result = await runMain('analyze', loop);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`zt-mesh analyze: ${loop}: is a symbolic link that loops (it leads back to itself), so there is nothing to read; point it at a file or directory, or remove it.\n`);
  });

  test.each([
    ['--request \'[]\'', ['--request', '[]'], '--request must be a JSON object with from, to and port; got a list.'],
    ['--request 42', ['--request', '42'], '--request must be a JSON object with from, to and port; got a number.'],
    ['--request naming a directory', ['--request', dir], `--request: ${dir} is a directory; name the file itself.`],
    ['--jwks naming a directory', ['--request', request(), '--jwks', `https://issuer/jwks=${dir}`], `--jwks https://issuer/jwks: ${dir} is a directory; name the file itself.`],
    ['"headers": []', ['--request', request({ headers: [] })], 'request.headers must be an object of header names to strings, say {"x-user": "alice"}.'],
    ['--ingress-gateway a/b/c', ['--request', request(), '--ingress-gateway', 'a/b/c'], '--ingress-gateway "a/b/c" must be <namespace>/<service-account>.'],
  ])('%s', async (_, args, message) => {
    expect(await runMain('access', 'check', '--manifests', mesh, ...args)).toEqual({ status: 2, stdout: '', stderr: `zt-mesh access: ${message}\n` });
  });
});

describe('messages name the file', () => {
  test('access prints the YAML findings it skips with their file', async () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'apps.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: foo\n');
    writeFileSync(join(broken, 'tagged.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: foo}\ndata: {a: !custom b}\n');
    const result = await runMain('access', 'matrix', '--manifests', mesh, broken);
    expect(result.status).toBe(0);
    expect(result.stderr.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^zt-mesh access: ${join(broken, 'apps.yaml')}: error ZT001 Document 1 is not valid YAML \\(line \\d+, column \\d+\\): .* \\(skipped\\)$`)),
      `zt-mesh access: ${join(broken, 'tagged.yaml')}: warning ZT006 Document 1 (line 4, column 11): Unresolved tag: !custom; the document was read as plain YAML.`,
      '',
    ]);
  });

  test('a Service defined twice: the matrix runs on the last definition; a port of the first names the file', async () => {
    const twice = join(dir, 'twice');
    mkdirSync(twice);
    writeFileSync(join(twice, 'z-again.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: foo}\nspec: {selector: {app: web}, ports: [{name: http, port: 81, targetPort: 80}]}\n');
    expect((await runMain('access', 'matrix', '--manifests', mesh, twice, '--format', 'json')).status).toBe(0);
    const result = await runMain('access', 'check', '--manifests', mesh, twice, '--request', request());
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`zt-mesh access: Service foo/web as defined in ${join(twice, 'z-again.yaml')} has no port 80 (ports: 81) (it is defined more than once; the last definition counts, as kubectl apply leaves it, see ZT003).\n`);
  });
});

test('ANSI escapes in object names reach the terminal only as visible escapes, in every format', async () => {
  const evil = join(dir, 'evil.yaml');
  const doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "x\\e[2J\\e[31mred\\r", namespace: foo}\n';
  writeFileSync(evil, `${doc}---\n${doc}`);
  for (const format of ['text', 'markdown', 'json']) {
    const result = await runMain('analyze', evil, '--format', format);
    expect([format, result.status]).toEqual([format, 1]);
    // eslint-disable-next-line no-control-regex
    expect([format, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(result.stdout)]).toEqual([format, false]);
    expect(result.stdout).toContain(format === 'json' ? 'x\\u001b[2J\\u001b[31mred\\r' : 'x\\u001b[2J\\u001b[31mred\\u000d');
  }
  // JSON stays JSON, with the name intact.
  const json = JSON.parse((await runMain('analyze', evil, '--format', 'json')).stdout) as { name: string }[];
  expect(json[0]!.name).toBe('x\u001b[2J\u001b[31mred\r');
});

describe('a large matrix on a pipe', () => {
  // Thirty synthetic workloads: about 2 MB of JSON, far more than a pipe holds.
  const big = join(dir, 'big');
  beforeAll(() => {
    const mesh30 = defineSyntheticMesh(new App(), 30);
    replaceDirectory(big, 'mesh', renderFiles(mesh30.toJson() as Manifest[], { rootNamespace: mesh30.rootNamespace, header: 'test' }));
  });

  test('waits for a full stdout to drain before it writes more, and the output is whole', async () => {
    const expected = (await runMain('access', 'matrix', join(big, 'mesh'), '--format', 'json')).stdout;
    let written = '';
    let writes = 0;
    // A stdout that takes each block but says it is full, as a pipe whose reader is slow does.
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => { written += String(chunk); writes += 1; return false; });
    try {
      let done = false;
      const status = main(['access', 'matrix', join(big, 'mesh'), '--format', 'json']).then((s) => { done = true; return s; });
      let drains = 0;
      while (!done) {
        const before = writes;
        await new Promise((resolve) => setTimeout(resolve, 5));
        // Nothing more was written while the pipe was full: one block at most since the last drain.
        expect(writes - before).toBeLessThanOrEqual(1);
        process.stdout.emit('drain');
        drains += 1;
      }
      expect(await status).toBe(0);
      expect(drains).toBeGreaterThan(10);
      expect(written).toBe(expected);
    } finally {
      out.mockRestore();
    }
  });

  test('a reader that stops early (| head) ends the command quietly: exit 0, nothing on stderr (the installed command)', async () => {
    const child = spawn(process.execPath, [ZT_MESH_BIN, 'access', 'matrix', join(big, 'mesh'), '--format', 'json']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    // Read the first piece, then close the pipe.
    await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});
