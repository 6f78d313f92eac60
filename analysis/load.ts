import { Dirent, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, Stats, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../manifests/index.js';
import type { Finding } from './finding.js';
import { readPlainYaml } from './plain-yaml.js';
import { rec } from './values.js';

/** A manifest and where it was read from. */
export interface SourcedManifest {
  readonly manifest: Manifest;
  /** The file's path, as given on the command line (joined with the directory's entries). */
  readonly file?: string;
}

/** What reading the input gave: the objects, and the problems that kept others out. */
export interface LoadResult {
  readonly objects: readonly SourcedManifest[];
  readonly findings: readonly Finding[];
}

/** Input that cannot be read at all (a missing path); reported as one line, not a finding. */
export class AnalysisInputError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'AnalysisInputError';
  }
}

/** Codes of the input checks, which run while reading (documented with the others). */
export const INPUT_CODES = {
  yaml: 'ZT001',
  notAnObject: 'ZT002',
  duplicate: 'ZT003',
  unknownIstioKind: 'ZT004',
  helmChart: 'ZT005',
  yamlWarning: 'ZT006',
  checkFailed: 'ZT009',
} as const;

/** A file to read: its name for messages, and its path for the file system. */
export interface InputFile {
  /** The path as given (joined with the directory's entries), for findings and messages. */
  readonly name: string;
  /**
   * The path for the file system: `name` itself, or its bytes when a directory entry's name is
   * not valid UTF-8 (`name` then shows those bytes as U+FFFD, and could not be opened).
   */
  readonly path: string | Buffer;
}

/**
 * Reads files and directories of multi-document YAML. Directories are read recursively (files
 * ending in `.yaml` or `.yml`, skipping dot-directories such as `.git`, following symbolic
 * links, skipping Helm charts with a ZT005 finding), in sorted order, so the result does not
 * depend on the file system. Broken documents become findings; a path that does not exist or
 * cannot be read throws `AnalysisInputError`.
 */
export function loadPaths(paths: readonly string[]): LoadResult {
  const files: InputFile[] = [];
  const findings: Finding[] = [];
  for (const path of paths) {
    if (inputKind(path) === 'file') {
      files.push({ name: path, path });
      continue;
    }
    const walked = walkYamlFiles(path);
    if (walked.files.length === 0 && walked.charts.length === 0) throw new AnalysisInputError(`${path}: the directory holds no .yaml or .yml files.`);
    append(files, walked.files);
    for (const chart of walked.charts) findings.push(helmChartFinding(chart));
  }
  const objects: SourcedManifest[] = [];
  for (const file of files) {
    const result = parseManifests(readInputFile(file), file.name);
    append(objects, result.objects);
    append(findings, result.findings);
  }
  return { objects, findings };
}

/**
 * Appends `items` one by one: `target.push(...items)` passes every item as an argument, and a
 * file of a hundred thousand documents overflows the call stack.
 */
export function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/**
 * Whether a path given on the command line is a file or a directory, checked before anything is
 * read: a FIFO would block the read forever, and a broken symbolic link is not "no such file".
 */
function inputKind(path: string): 'file' | 'directory' {
  try {
    lstatSync(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AnalysisInputError(`${path}: no such file or directory.`);
    throw new AnalysisInputError(`${path}: cannot be read (${code}).`);
  }
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new AnalysisInputError(`${path}: ${brokenLinkProblem(path, error)}.`);
  }
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  throw new AnalysisInputError(`${path}: ${notRegular(stats)}; give a YAML file or a directory of them.`);
}

/** What kind of special file a path is, for messages. */
function notRegular(stats: Stats): string {
  const what = stats.isFIFO() ? 'a named pipe (FIFO)' : stats.isSocket() ? 'a socket' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : 'not a regular file';
  return `is ${what}, not a file or directory, so it was not read (reading it could wait forever)`;
}

/** Why a path whose link exists cannot be followed: a loop, a missing target, or the error. */
function brokenLinkProblem(path: string | Buffer, error: unknown): string {
  const code = errorCode(error);
  if (code === 'ELOOP') return 'is a symbolic link that loops (it leads back to itself), so there is nothing to read; point it at a file or directory, or remove it';
  if (code === 'ENOENT') {
    let target = '';
    try {
      target = ` to ${readlinkSync(path, 'utf8')}`;
    } catch {
      // Not a link after all (it vanished meanwhile): the plain message will do.
    }
    return `is a symbolic link${target}, which does not exist`;
  }
  return `cannot be read (${code})`;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
}

/** A file's text; `AnalysisInputError` when it cannot be read. */
export function readInputFile(file: InputFile): string {
  try {
    return readFileSync(file.path, 'utf8');
  } catch (error) {
    throw new AnalysisInputError(`${file.name}: cannot be read (${errorCode(error)}).`);
  }
}

/**
 * The `.yaml` and `.yml` files under `dir`, recursively and in sorted order, skipping dot-files
 * and dot-directories (`.git`, editor state), so the list does not depend on the file system.
 * See `walkYamlFiles` for symbolic links, Helm charts and file names that are not UTF-8.
 */
export function yamlFilesUnder(dir: string): string[] {
  return walkYamlFiles(dir).files.map((f) => f.name);
}

/**
 * The YAML files under `dir` (see `yamlFilesUnder`), and the Helm charts skipped (see
 * `helmChartFinding`). Symbolic links are followed, to files and to directories, each directory read once (a
 * link back up the tree would never end); a link to nothing, or in a loop, whose name ends in
 * `.yaml`/`.yml` is an `AnalysisInputError`, as is a directory that cannot be listed. A
 * directory holding `Chart.yaml` is a Helm chart: its templates are not manifests until
 * rendered, so it is skipped whole. Entry names are read as bytes, so a name that is not valid
 * UTF-8 is still read.
 */
export function walkYamlFiles(dir: string): { files: InputFile[]; charts: string[] } {
  const files: InputFile[] = [];
  const charts: string[] = [];
  const seen = new Set<string>();
  const walk = (name: string, path: string | Buffer) => {
    try {
      const real = realpathSync(path);
      if (seen.has(real)) return;
      seen.add(real);
    } catch (error) {
      throw new AnalysisInputError(`${name}: ${brokenLinkProblem(path, error)}.`);
    }
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(path, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      throw new AnalysisInputError(`${name}: the directory cannot be read (${errorCode(error)}); give read access to it, or name the directories to analyze one by one.`);
    }
    const named = entries.map((entry) => ({ entry, text: entry.name.toString('utf8') }))
      .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : Buffer.compare(a.entry.name, b.entry.name)));
    if (named.some(({ entry, text }) => text === 'Chart.yaml' && !entry.isDirectory())) {
      charts.push(name);
      return;
    }
    for (const { entry, text } of named) {
      if (text.startsWith('.')) continue;
      const childName = join(name, text);
      // The bytes, when the name is not valid UTF-8: its decoded text names another file.
      const childPath = Buffer.from(text, 'utf8').equals(entry.name) ? join(typeof path === 'string' ? path : path.toString('utf8'), text)
        : Buffer.concat([typeof path === 'string' ? Buffer.from(path, 'utf8') : path, Buffer.from(sep), entry.name]);
      const isYaml = /\.ya?ml$/i.test(text);
      let directory = entry.isDirectory();
      let file = entry.isFile();
      if (entry.isSymbolicLink()) {
        let stats: Stats;
        try {
          stats = statSync(childPath);
        } catch (error) {
          // A link to nothing is only a problem where a manifest was meant to be.
          if (isYaml) throw new AnalysisInputError(`${childName}: ${brokenLinkProblem(childPath, error)}.`);
          continue;
        }
        directory = stats.isDirectory();
        file = stats.isFile();
      }
      if (directory) walk(childName, childPath);
      else if (file && isYaml) files.push({ name: childName, path: childPath });
    }
  };
  walk(dir, dir);
  return { files, charts };
}

/** ZT005: the Helm chart in `dir` was skipped, and how to analyze what it renders. */
export function helmChartFinding(dir: string): Finding {
  return {
    code: INPUT_CODES.helmChart, severity: 'info', kind: 'HelmChart', namespace: null, name: dir, file: join(dir, 'Chart.yaml'),
    message: `${dir} is a Helm chart (it holds Chart.yaml): its templates are Go templates and its values are not Kubernetes objects, so nothing under it was read.`,
    fix: `analyze what the chart renders: helm template <release> ${dir} [-f <values.yaml>] > rendered.yaml, then zt-mesh analyze rendered.yaml.`,
  };
}

/**
 * Parses one multi-document YAML text; `file` names it in findings. Documents for which `skip`
 * returns true are dropped before they are checked (e.g. a reader's own configuration).
 */
export function parseManifests(text: string, file: string, skip: (document: unknown) => boolean = () => false): LoadResult {
  const objects: SourcedManifest[] = [];
  const findings: Finding[] = [];
  // Plain YAML (nearly every manifest) is read by the fast reader, which gives the values the
  // code below would, or declines; the `yaml` package then reads the text as before, for its
  // errors and warnings with their positions (issue 20: loading dominated analyzing 100k objects).
  const take = (value: unknown, i: number): void => {
    // An empty document (a trailing `---`), or one the caller does not want read.
    if (value === null || value === undefined || skip(value)) return;
    const result = validateManifests([value], `${file}, document ${i + 1}`, file);
    append(objects, result.objects);
    append(findings, result.findings);
  };
  const fast = readPlainYaml(text);
  if (fast !== undefined) {
    fast.forEach(take);
    return { objects, findings };
  }
  // logLevel 'error': the library would print its warnings to stderr, naming no file; they
  // become ZT006 findings instead.
  const documents = parseAllDocuments(text, { prettyErrors: true, logLevel: 'error' });
  // A stream with no documents at all parses as an empty list (or an EmptyStream).
  const list = Array.isArray(documents) ? documents : [];
  list.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      const error = doc.errors[0]!;
      const pos = error.linePos?.[0];
      const at = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
      // The parser recurses once per level of nesting; past some hundreds of levels it runs out
      // of stack. The document may be valid YAML, but it is no Kubernetes object.
      const tooDeep = /Maximum call stack size exceeded/.test(error.message);
      findings.push({
        code: INPUT_CODES.yaml, severity: 'error', kind: 'File', namespace: null, name: file, file,
        message: tooDeep
          ? `Document ${i + 1} nests maps and lists too deeply to be read${at}: hundreds of levels, where a Kubernetes object has a few dozen at most. Nothing in it was analyzed.`
          : `Document ${i + 1} is not valid YAML${at}: ${firstLine(error.message)}. Nothing in it was analyzed.`,
        fix: tooDeep
          ? 'check what generated the document; write it with the nesting its kind\'s schema has.'
          : 'correct the YAML syntax (indentation, quoting, duplicate keys); `kubectl apply --dry-run=client -f` shows the same error.',
      });
      return;
    }
    if (doc.warnings.length > 0) {
      const warning = doc.warnings[0]!;
      const pos = warning.linePos?.[0];
      const more = doc.warnings.length > 1 ? ` (and ${doc.warnings.length - 1} more)` : '';
      findings.push({
        code: INPUT_CODES.yamlWarning, severity: 'warning', kind: 'File', namespace: null, name: file, file,
        message: `Document ${i + 1}${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${firstLine(warning.message)}${more}; the document was read as plain YAML.`,
        fix: 'remove custom tags and directives the Kubernetes API server does not understand (it reads plain YAML 1.2 / JSON).',
      });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      findings.push({
        code: INPUT_CODES.yaml, severity: 'error', kind: 'File', namespace: null, name: file, file,
        message: `Document ${i + 1} cannot be read: ${firstLine(error instanceof Error ? error.message : String(error))}.`,
        fix: 'write the document without YAML aliases or tags that expand it.',
      });
      return;
    }
    take(value, i);
  });
  return { objects, findings };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+/, '').replace(/[.:]\s*$/, '');
}

/**
 * Checks that each value is a Kubernetes object (apiVersion, kind, metadata.name, label and
 * annotation maps of strings), expanding `kind: List`. Anything else becomes a ZT002 finding.
 */
export function validateManifests(values: readonly unknown[], where: string, file?: string): LoadResult {
  const objects: SourcedManifest[] = [];
  const findings: Finding[] = [];
  values.forEach((value, i) => {
    const at = values.length > 1 ? `${where}, item ${i + 1}` : where;
    const o = rec(value);
    const problem = (what: string, kind = 'Document', name = at): void => {
      findings.push({
        code: INPUT_CODES.notAnObject, severity: 'error', kind, namespace: null, name, ...(file ? { file } : {}),
        message: `${at}: ${what}, so it is not a Kubernetes object and was not analyzed.`,
        fix: 'give every document apiVersion, kind and metadata.name (and metadata.namespace for namespaced kinds), with labels and annotations as maps of strings.',
      });
    };
    if (!o) return problem(`the document is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a map`);
    const kind = typeof o.kind === 'string' && o.kind.trim() !== '' ? o.kind : undefined;
    if (kind && /List$/.test(kind) && Array.isArray(o.items)) {
      const inner = validateManifests(o.items, `${at} (${kind})`, file);
      append(objects, inner.objects);
      append(findings, inner.findings);
      return;
    }
    const metadata = rec(o.metadata);
    const name = typeof metadata?.name === 'string' && metadata.name !== '' ? metadata.name : undefined;
    if (typeof o.apiVersion !== 'string' || o.apiVersion === '') return problem('apiVersion is missing or not a string', kind ?? 'Document', name ?? at);
    if (!kind) return problem('kind is missing or not a string', 'Document', name ?? at);
    // kustomize's own files (Kustomization, Component) configure how a directory is rendered;
    // they are not objects of the cluster. The objects they list are read from their own files.
    if (o.apiVersion.startsWith('kustomize.config.k8s.io/')) return;
    if (o.apiVersion.startsWith('install.istio.io/') && kind === 'IstioOperator' && !name) {
      // istioctl's install input (`istioctl install -f`), which needs no name: not an object the
      // cluster stores, and nothing the analyzer checks.
      findings.push({
        code: INPUT_CODES.unknownIstioKind, severity: 'info', kind, namespace: null, name: at, ...(file ? { file } : {}),
        message: `${at}: an IstioOperator without a name is istioctl install configuration; it is not checked by the analyzer.`,
        fix: 'review it by hand.',
      });
      return;
    }
    if (!metadata) return problem('metadata is missing or not a map', kind);
    if (!name) return problem('metadata.name is missing or not a string', kind);
    if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || metadata.namespace === '')) {
      return problem('metadata.namespace is not a string', kind, name);
    }
    for (const field of ['labels', 'annotations'] as const) {
      const map = metadata[field];
      if (map === undefined || map === null) continue;
      const m = rec(map);
      if (!m || Object.values(m).some((v) => typeof v !== 'string')) {
        return problem(`metadata.${field} is not a map of strings (quote values such as "true" and "8080")`, kind, name);
      }
    }
    objects.push({ manifest: o as unknown as Manifest, ...(file ? { file } : {}) });
  });
  return { objects, findings };
}
