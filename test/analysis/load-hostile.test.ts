// Hostile and oversized input to the reader and the model (issue 20): no crash, no hang, and a
// message that names the file and says what to do. Large inputs are made here, in memory, at
// sizes past what used to crash (a spread of ~125k arguments overflowed the stack).
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AnalysisInputError, analyzeObjects, analyzePaths, type Check, type Finding, loadPaths, MeshModel, parseManifests, validateManifests,
} from '../../analysis/index.js';
import { isKnownAppProtocol } from '../../analysis/istio.js';
import { selects } from '../../analysis/network-policy.js';
import { codesOf } from './fixtures.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zt-hostile-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

const configMap = (name: string, namespace = 'a') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}}\n`;
const inputError = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AnalysisInputError);
    return (error as Error).message;
  }
  throw new Error('expected an AnalysisInputError');
};

describe('large inputs are collected without spreading them into a call', () => {
  const SIZE = 150_000;

  test('a List of 150k items gives 150k objects', () => {
    const item = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' } };
    const { objects, findings } = validateManifests([{ apiVersion: 'v1', kind: 'List', items: Array.from({ length: SIZE }, () => item) }], 'input');
    expect([objects.length, findings.length]).toEqual([SIZE, 0]);
  });

  test('a check that reports 150k findings: all of them are reported', () => {
    const object = { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' } } } as const;
    const many: Check = {
      code: 'ZT999', severity: 'warning', title: 'many', area: 'input', run: (model) => Array.from({ length: SIZE }, (_, i) => ({
        object: model.objects[0]!, message: `finding ${i}`, fix: 'none',
      })),
    };
    const findings: Finding[] = analyzeObjects([object], {}, [], [many]);
    expect(findings.filter((f) => f.code === 'ZT999')).toHaveLength(SIZE);
  });

  test('the model groups 100k objects of one kind in linear time (it used to copy the list per object)', () => {
    const objects = Array.from({ length: 100_000 }, (_, i) => ({ manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}`, namespace: 'a' } } }));
    const model = new MeshModel(objects as never);
    expect(model.ofKind('ConfigMap')).toHaveLength(100_000);
    expect(model.ofKind('ConfigMap')[99_999]!.name).toBe('c99999');
  });
});

describe('YAML the parser cannot or will not read', () => {
  test('deeply nested valid YAML is a ZT001 finding that says it nests too deeply, not a stack overflow', () => {
    const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: a}\ndata: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const { findings } = parseManifests(deep, 'deep.yaml');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'ZT001', file: 'deep.yaml' });
    expect(findings[0]!.message).toMatch(/^Document 1 nests maps and lists too deeply to be read \(line 4, column \d+\)/);
    expect(findings[0]!.message).not.toMatch(/call stack/);
  });

  test('a parser warning (an unknown tag) is a ZT006 finding naming the file and line, not a line on stderr', () => {
    const stderr = jest.spyOn(process, 'emitWarning');
    try {
      const { objects, findings } = parseManifests(`${configMap('x')}data: {a: !custom b}\n`, 'tagged.yaml');
      expect(objects).toHaveLength(1);
      expect(findings).toEqual([expect.objectContaining({ code: 'ZT006', severity: 'warning', file: 'tagged.yaml' })]);
      expect(findings[0]!.message).toMatch(/^Document 1 \(line 4, column \d+\): Unresolved tag: !custom; the document was read as plain YAML\.$/);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('keys from manifests never reach Object.prototype', () => {
  test('a selector on `constructor` selects only pods with that label; `__proto__` is an ordinary label', () => {
    const yaml = [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: plain, namespace: a}\nspec: {template: {metadata: {labels: {app: plain}}}}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odd, namespace: a}\nspec: {template: {metadata: {labels: {app: odd, constructor: x, __proto__: y}}}}\n',
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: a}\nspec: {selector: {matchLabels: {__proto__: y}}}\n',
    ].join('---\n');
    const model = new MeshModel(parseManifests(yaml, 'case.yaml').objects);
    const odd = model.workloads.find((w) => w.name === 'odd')!;
    expect(odd.podLabels.__proto__).toBe('y');
    expect(model.selectedWorkloads(model.ofKind('AuthorizationPolicy')[0]!).map((w) => w.name)).toEqual(['odd']);
    const plain = model.workloads.find((w) => w.name === 'plain')!;
    for (const key of ['constructor', 'toString', '__proto__']) {
      expect([key, selects({ matchLabels: {}, matchExpressions: [{ key, operator: 'Exists', values: [] }] }, plain.podLabels)]).toEqual([key, false]);
      expect([key, selects({ matchLabels: {}, matchExpressions: [{ key, operator: 'DoesNotExist', values: [] }] }, plain.podLabels, false)]).toEqual([key, true]);
    }
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });

  test('an appProtocol of `constructor` is an unknown protocol, not Object.prototype.constructor', () => {
    const yaml = 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: {ports: [{port: 8080, appProtocol: constructor}, {port: 8081, appProtocol: kubernetes.io/h2c}]}\n';
    const model = new MeshModel(parseManifests(yaml, 'case.yaml').objects);
    expect(model.services[0]!.ports.map((p) => p.protocolClass)).toEqual(['unknown', 'http']);
    expect(isKnownAppProtocol('constructor')).toBe(false);
  });
});

describe('a Service defined twice', () => {
  test('the model keeps the last definition, as kubectl apply leaves it; ZT003 names the other file', () => {
    const dir = tempDir();
    const service = (port: number) => `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {selector: {app: s}, ports: [{name: http, port: ${port}}]}\n`;
    writeFileSync(join(dir, 'a.yaml'), service(80));
    writeFileSync(join(dir, 'b.yaml'), service(81));
    const { objects } = loadPaths([dir]);
    const model = new MeshModel(objects);
    expect(model.services.map((s) => [s.object.file, s.ports.map((p) => p.port)])).toEqual([[join(dir, 'b.yaml'), [81]]]);
    const zt003 = analyzePaths([dir]).filter((f) => f.code === 'ZT003');
    expect(zt003).toEqual([expect.objectContaining({ file: join(dir, 'b.yaml') })]);
    expect(zt003[0]!.message).toMatch(`also in ${join(dir, 'a.yaml')}`);
  });
});

describe('the file system', () => {
  test('a FIFO given as a path is refused before it is read (reading would block forever)', () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(inputError(() => loadPaths([fifo]))).toBe(`${fifo}: is a named pipe (FIFO), not a file or directory, so it was not read (reading it could wait forever); give a YAML file or a directory of them.`);
    // In a directory, a FIFO is not a file: skipped beside the real manifests.
    writeFileSync(join(dir, 'real.yaml'), configMap('x'));
    expect(loadPaths([dir]).objects.map((o) => o.file)).toEqual([join(dir, 'real.yaml')]);
  });

  test('a self-referencing symlink is called a loop, a dangling one a link to nothing, not "no such file"', () => {
    const dir = tempDir();
    const loop = join(dir, 'loop.yaml');
    symlinkSync(loop, loop);
    expect(inputError(() => loadPaths([loop]))).toMatch(/^\S+loop\.yaml: is a symbolic link that loops \(it leads back to itself\)/);
    expect(inputError(() => loadPaths([dir]))).toMatch(/loop\.yaml: is a symbolic link that loops/);
    const other = tempDir();
    const dangling = join(other, 'gone.yaml');
    symlinkSync(join(other, 'missing.yaml'), dangling);
    expect(inputError(() => loadPaths([dangling]))).toBe(`${dangling}: is a symbolic link to ${join(other, 'missing.yaml')}, which does not exist.`);
    expect(inputError(() => loadPaths([join(other, 'nothing-here')]))).toBe(`${join(other, 'nothing-here')}: no such file or directory.`);
  });

  test('symlinked files and directories are followed; a link back up the tree is read once', () => {
    const dir = tempDir();
    const target = tempDir();
    writeFileSync(join(target, 'linked.yaml'), configMap('linked'));
    mkdirSync(join(target, 'sub'));
    writeFileSync(join(target, 'sub', 'deep.yaml'), configMap('deep'));
    symlinkSync(join(target, 'linked.yaml'), join(dir, 'file.yaml'));
    symlinkSync(join(target, 'sub'), join(dir, 'subdir'));
    symlinkSync(dir, join(dir, 'up'));
    const { objects } = loadPaths([dir]);
    expect(objects.map((o) => [o.file, o.manifest.metadata.name])).toEqual([
      [join(dir, 'file.yaml'), 'linked'],
      [join(dir, 'subdir', 'deep.yaml'), 'deep'],
    ]);
  });

  test('a file name that is not valid UTF-8 is read, not a stop', () => {
    const dir = tempDir();
    const name = Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.yaml')]);
    writeFileSync(name, configMap('latin'));
    writeFileSync(join(dir, 'good.yaml'), configMap('good'));
    const { objects, findings } = loadPaths([dir]);
    expect(findings).toEqual([]);
    expect(objects.map((o) => [o.file, o.manifest.metadata.name])).toEqual([
      [join(dir, 'bad-\uFFFD\uFFFD.yaml'), 'latin'],
      [join(dir, 'good.yaml'), 'good'],
    ]);
  });

  // Root reads any directory whatever its mode, so the refusal can only be shown to other users.
  const asRoot = process.getuid?.() === 0;
  (asRoot ? test.skip : test)('an unreadable subdirectory is one line naming it, not a raw EACCES', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'locked'));
    writeFileSync(join(dir, 'ok.yaml'), configMap('x'));
    chmodSync(join(dir, 'locked'), 0o000);
    try {
      expect(inputError(() => loadPaths([dir]))).toBe(`${join(dir, 'locked')}: the directory cannot be read (EACCES); give read access to it, or name the directories to analyze one by one.`);
    } finally {
      chmodSync(join(dir, 'locked'), 0o755);
    }
  });

  test('a Helm chart is skipped with one ZT005 info finding per chart, saying how to analyze what it renders', () => {
    const dir = tempDir();
    const chart = join(dir, 'charts', 'web');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 1.0.0\n');
    writeFileSync(join(chart, 'values.yaml'), 'replicas: 2\n');
    writeFileSync(join(chart, 'templates', 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n');
    writeFileSync(join(dir, 'plain.yaml'), configMap('x'));
    const findings = analyzePaths([dir]);
    expect(codesOf(findings)).toEqual(['ZT005']);
    expect(findings).toEqual([expect.objectContaining({ code: 'ZT005', severity: 'info', kind: 'HelmChart', name: chart, file: join(chart, 'Chart.yaml') })]);
    expect(findings[0]!.fix).toBe(`analyze what the chart renders: helm template <release> ${chart} [-f <values.yaml>] > rendered.yaml, then zt-mesh analyze rendered.yaml.`);
    // A chart given alone is skipped the same way, not "holds no YAML".
    expect(analyzePaths([chart]).map((f) => f.code)).toEqual(['ZT005']);
  });
});
