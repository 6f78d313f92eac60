import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../manifests/index.js';
import type { Finding } from './finding.js';
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
  checkFailed: 'ZT009',
} as const;

/**
 * Reads files and directories of multi-document YAML. Directories are read recursively (files
 * ending in `.yaml` or `.yml`, skipping dot-directories such as `.git`), in sorted order, so the
 * result does not depend on the file system. Broken documents become findings; a path that
 * does not exist throws `AnalysisInputError`.
 */
export function loadPaths(paths: readonly string[]): LoadResult {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new AnalysisInputError(`${path}: no such file or directory.`);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const found = yamlFilesUnder(path);
    if (found.length === 0) throw new AnalysisInputError(`${path}: the directory holds no .yaml or .yml files.`);
    files.push(...found);
  }
  const objects: SourcedManifest[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new AnalysisInputError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
    }
    const result = parseManifests(text, file);
    objects.push(...result.objects);
    findings.push(...result.findings);
  }
  return { objects, findings };
}

/**
 * The `.yaml` and `.yml` files under `dir`, recursively and in sorted order, skipping dot-files
 * and dot-directories (`.git`, editor state), so the list does not depend on the file system.
 */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/**
 * Parses one multi-document YAML text; `file` names it in findings. Documents for which `skip`
 * returns true are dropped before they are checked (e.g. a reader's own configuration).
 */
export function parseManifests(text: string, file: string, skip: (document: unknown) => boolean = () => false): LoadResult {
  const objects: SourcedManifest[] = [];
  const findings: Finding[] = [];
  const documents = parseAllDocuments(text, { prettyErrors: true });
  // A stream with no documents at all parses as an empty list (or an EmptyStream).
  const list = Array.isArray(documents) ? documents : [];
  list.forEach((doc, i) => {
    const where = `${file}, document ${i + 1}`;
    if (doc.errors.length > 0) {
      const error = doc.errors[0]!;
      const pos = error.linePos?.[0];
      findings.push({
        code: INPUT_CODES.yaml, severity: 'error', kind: 'File', namespace: null, name: file, file,
        message: `Document ${i + 1} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${firstLine(error.message)}. Nothing in it was analyzed.`,
        fix: 'correct the YAML syntax (indentation, quoting, duplicate keys); `kubectl apply --dry-run=client -f` shows the same error.',
      });
      return;
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
    // An empty document (a trailing `---`), or one the caller does not want read.
    if (value === null || value === undefined || skip(value)) return;
    const result = validateManifests([value], where, file);
    objects.push(...result.objects);
    findings.push(...result.findings);
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
      objects.push(...inner.objects);
      findings.push(...inner.findings);
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
