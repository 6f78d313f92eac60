import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { Manifest } from '../manifests/index.js';
import { OWNER_MARKER } from '../manifests/write.js';
import { ruleRecordsOf, rulesNamedIn, type NamedRule } from './access/grants.js';
import { accessMatrix, type MatrixCell } from './access/matrix.js';
import { diffMatrices, edgeKey, type AccessChange } from './access/report.js';
import { AccessSimulator } from './access/simulator.js';
import { analyzeObjects, type AnalyzeOptions } from './analyze.js';
import { compareFindings, type Finding } from './finding.js';
import { AnalysisInputError, append, helmChartFinding, parseManifests, readInputFile, type SourcedManifest, walkYamlFiles } from './load.js';
import { MeshModel } from './model.js';
import { rulesOf } from './policy.js';
import { apiGroupOf, rec } from './values.js';

/**
 * What a pull request changes in a synthesized mesh, per environment: who may now reach whom (and
 * the grant that says so), which analyzer findings it introduces or resolves, and which objects it
 * adds, removes or modifies. The input is two trees as `zt-mesh synth` writes them, one
 * subdirectory per environment, read from the manifests alone.
 */

/** meshConfig settings the manifests do not carry; the same for every environment of both trees. */
export type ReviewOptions = AnalyzeOptions;

/** One environment's manifests as read from its directory. */
export interface EnvironmentManifests {
  readonly objects: readonly SourcedManifest[];
  /** Documents that are not valid YAML or not Kubernetes objects (ZT001, ZT002), as the analyzer reports them. */
  readonly findings: readonly Finding[];
}

/** kustomize's own file names: its build configuration, not objects for the cluster. */
const KUSTOMIZATION_FILE = /^kustomization\.ya?ml$/i;

/** Kustomization and Component documents (kustomize.config.k8s.io), however their file is named. */
function isKustomizeConfig(document: unknown): boolean {
  const apiVersion = rec(document)?.apiVersion;
  return typeof apiVersion === 'string' && apiVersion.startsWith('kustomize.config.k8s.io/');
}

/**
 * Reads one environment's directory: every `.yaml`/`.yml` file below it (dot-files and
 * dot-directories skipped), without kustomize's configuration. Files are named relative to the
 * directory, with `/`, so the same file has the same name in both trees and on every system.
 */
export function loadEnvironment(dir: string): EnvironmentManifests {
  const objects: SourcedManifest[] = [];
  const findings: Finding[] = [];
  const walked = walkYamlFiles(dir);
  for (const chart of walked.charts) findings.push(helmChartFinding(relative(dir, chart).split(sep).join('/') || '.'));
  for (const input of walked.files) {
    if (KUSTOMIZATION_FILE.test(basename(input.name))) continue;
    const file = relative(dir, input.name).split(sep).join('/');
    const result = parseManifests(readInputFile(input), file, isKustomizeConfig);
    append(objects, result.objects);
    append(findings, result.findings);
  }
  return { objects, findings };
}

const TREE_FIX = 'give the directory that holds one subdirectory per environment (e.g. dist, as zt-mesh synth writes it)';

/**
 * Reads a synthesized tree: each subdirectory not starting with `.` is an environment. Throws
 * `AnalysisInputError` when `dir` is missing or not a directory, and when YAML files lie directly
 * in it (the usual slip: naming one environment's directory instead of the tree). `role` names the
 * tree in those messages (`base`, `head`).
 */
export function loadTree(dir: string, role = 'tree'): Map<string, EnvironmentManifests> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new AnalysisInputError(`${role} directory ${dir} does not exist; ${TREE_FIX}.`);
  }
  if (!isDirectory) throw new AnalysisInputError(`${role} ${dir} is a file, not a directory; ${TREE_FIX}.`);
  let listed;
  try {
    listed = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new AnalysisInputError(`${role} directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give read access to it.`);
  }
  const entries = listed
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => compareText(a.name, b.name));
  // An environment directory may be a symbolic link (loadEnvironment follows links below it too).
  const isDirectoryEntry = (e: (typeof entries)[number]): boolean => {
    if (e.isDirectory()) return true;
    if (!e.isSymbolicLink()) return false;
    try {
      return statSync(join(dir, e.name)).isDirectory();
    } catch {
      return false; // a link to nothing (or a loop) is no environment
    }
  };
  // One environment as synth writes it: the owner marker beside its security/ directory.
  if (existsSync(join(dir, OWNER_MARKER)) && entries.some((e) => e.isDirectory() && e.name === 'security')) {
    throw new AnalysisInputError(`${role} ${dir} is one environment's directory (security/ and workloads/); ${TREE_FIX}: the parent of the environments, not one environment (dist, not dist/prod).`);
  }
  const stray = entries.filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && !KUSTOMIZATION_FILE.test(e.name)).map((e) => e.name);
  if (stray.length > 0) {
    throw new AnalysisInputError(`${role} ${dir} holds manifests outside any environment directory (${stray.slice(0, 3).join(', ')}${stray.length > 3 ? ', ...' : ''}); `
      + `${TREE_FIX}: the parent of the environments, not one environment (dist, not dist/prod).`);
  }
  return new Map(entries.filter(isDirectoryEntry).map((e) => [e.name, loadEnvironment(join(dir, e.name))]));
}

/**
 * An object the diff names. Its identity is its API group, kind, namespace and name, so an
 * apiVersion bump within a group is a modification, not a removal and an addition.
 */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** The objects head adds, removes and modifies against base, each sorted by kind, namespace and name. */
export interface ObjectDiff {
  readonly added: readonly ObjectRef[];
  readonly removed: readonly ObjectRef[];
  readonly modified: readonly ObjectRef[];
}

function objectKey(m: Manifest): string {
  return JSON.stringify([apiGroupOf(m.apiVersion), m.kind, m.metadata.namespace ?? '', m.metadata.name]);
}

function refOf(m: Manifest): ObjectRef {
  return { kind: m.kind, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}), name: m.metadata.name };
}

/** JSON with map keys sorted at every depth, so key order in the YAML is not a modification. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Plain code-unit order: the same on every machine, unlike `localeCompare`. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return compareText(a.kind, b.kind) || compareText(a.namespace ?? '', b.namespace ?? '') || compareText(a.name, b.name);
}

/**
 * Which objects head adds, removes or modifies. Where a tree defines an object twice, the last
 * definition counts, as when the files are applied (the analyzer reports the duplicate, ZT003).
 */
export function diffObjects(base: readonly SourcedManifest[], head: readonly SourcedManifest[]): ObjectDiff {
  const byKey = (objects: readonly SourcedManifest[]) => new Map(objects.map((o) => [objectKey(o.manifest), o.manifest]));
  const before = byKey(base);
  const after = byKey(head);
  const added: ObjectRef[] = [];
  const removed: ObjectRef[] = [];
  const modified: ObjectRef[] = [];
  for (const [key, manifest] of after) {
    const was = before.get(key);
    if (!was) added.push(refOf(manifest));
    else if (canonicalJson(was) !== canonicalJson(manifest)) modified.push(refOf(manifest));
  }
  for (const [key, manifest] of before) if (!after.has(key)) removed.push(refOf(manifest));
  return { added: added.sort(compareRefs), removed: removed.sort(compareRefs), modified: modified.sort(compareRefs) };
}

/** The findings head introduces and those it resolves, each sorted worst first. */
export interface FindingDiff {
  readonly introduced: readonly Finding[];
  readonly resolved: readonly Finding[];
}

/**
 * A finding's identity across two trees: code, kind, namespace, name and message. The file and
 * the fix are left out, so moving an object to another file neither resolves nor introduces it.
 */
export function findingIdentity(f: Finding): string {
  return JSON.stringify([f.code, f.kind, f.namespace, f.name, f.message]);
}

/** Which findings are in head and not in base (introduced), and the reverse (resolved). */
export function diffFindings(base: readonly Finding[], head: readonly Finding[]): FindingDiff {
  const before = new Set(base.map(findingIdentity));
  const after = new Set(head.map(findingIdentity));
  return {
    introduced: head.filter((f) => !before.has(findingIdentity(f))).sort(compareFindings),
    resolved: base.filter((f) => !after.has(findingIdentity(f))).sort(compareFindings),
  };
}

/** A rule that allows a reviewed edge, with what its policy records about it. */
export interface AllowingRule extends NamedRule {
  /**
   * True when head changed the rule but not its recorded grant: a hand edit of synthesized YAML
   * leaves the record behind, so it may no longer describe whom the rule admits.
   */
  readonly recordMayBeStale?: boolean;
}

/** A gained or lost access edge, with the rules that allow it. */
export interface ReviewedEdge extends AccessChange {
  /**
   * The rules that allow the edge, each with the grant its policy records: in head for a gained
   * edge, in base for a lost one. Empty when no rule allows it as such (no ALLOW policy applies,
   * or the destination has no sidecar); `allowedBecause` then says why it is open.
   */
  readonly allowedBy: readonly AllowingRule[];
  /** The simulator's reason the edge is allowed: in head for a gained edge, in base for a lost one. */
  readonly allowedBecause: string;
}

/** The access matrix's changes in one environment. */
export interface AccessReview {
  /** Edges allowed in head and not in base. */
  readonly gained: readonly ReviewedEdge[];
  /** Edges allowed in base and not in head; `reason` says why head refuses them. */
  readonly lost: readonly ReviewedEdge[];
  /** Outcome changes among refusals (say 403 → reset) and refused edges that appeared or vanished. */
  readonly other: readonly AccessChange[];
  /** Why the matrix could not be computed, when it could not (the other sections still hold). */
  readonly error?: string;
}

/** Whether an environment is in both trees, only in head (added) or only in base (removed). */
export type EnvironmentPresence = 'both' | 'added' | 'removed';

/** Everything head changes in one environment. */
export interface EnvironmentReview {
  readonly environment: string;
  readonly presence: EnvironmentPresence;
  readonly access: AccessReview;
  readonly findings: FindingDiff;
  readonly objects: ObjectDiff;
}

/** The review of two trees: one entry per environment of either, sorted by name. */
export interface Review {
  readonly environments: readonly EnvironmentReview[];
}

const NO_OBJECTS: EnvironmentManifests = { objects: [], findings: [] };

async function matrixOf(objects: readonly SourcedManifest[], options: ReviewOptions): Promise<{ cells: MatrixCell[]; model: MeshModel }> {
  const model = new MeshModel(objects, options);
  return { cells: objects.length === 0 ? [] : await accessMatrix(new AccessSimulator(model)), model };
}

/** Gained and lost edges between two sets of objects, each with the rules that allow it. */
export async function reviewAccess(base: readonly SourcedManifest[], head: readonly SourcedManifest[], options: ReviewOptions = {}): Promise<AccessReview> {
  let before: Awaited<ReturnType<typeof matrixOf>>;
  let after: Awaited<ReturnType<typeof matrixOf>>;
  try {
    before = await matrixOf(base, options);
    after = await matrixOf(head, options);
  } catch (error) {
    // The simulator reads anyone's manifests; input it cannot model must not hide the other sections.
    return { gained: [], lost: [], other: [], error: error instanceof Error ? error.message : String(error) };
  }
  const diff = diffMatrices(before.cells, after.cells);
  const allowedBefore = new Map(before.cells.map((c) => [edgeKey(c), c.reason]));
  return {
    gained: diff.gained.map((c) => ({
      ...c, allowedBy: rulesNamedIn(c.reason, after.model).map((rule) => flagStaleRecord(rule, before.model, after.model)), allowedBecause: c.reason,
    })),
    lost: diff.lost.map((c) => {
      const because = allowedBefore.get(edgeKey(c))!;
      return { ...c, allowedBy: rulesNamedIn(because, before.model), allowedBecause: because };
    }),
    other: diff.changed,
  };
}

/** The rule as written in a model (raw) and the record its policy keeps for it. */
function ruleIn(model: MeshModel, rule: NamedRule): { raw: string; record: string | undefined } | undefined {
  const policy = model.ofKind('AuthorizationPolicy').find((p) => p.namespace === rule.namespace && p.name === rule.policy);
  const view = policy ? rulesOf(policy)[rule.index] : undefined;
  return policy && view ? { raw: canonicalJson(view.raw), record: ruleRecordsOf(policy).get(rule.index) } : undefined;
}

/** Flags a head rule whose content changed since base while its record stayed word for word. */
function flagStaleRecord(rule: NamedRule, base: MeshModel, head: MeshModel): AllowingRule {
  if (rule.record === undefined) return rule;
  const before = ruleIn(base, rule);
  const after = ruleIn(head, rule);
  const stale = before !== undefined && after !== undefined && before.raw !== after.raw && before.record === after.record;
  return stale ? { ...rule, recordMayBeStale: true } : rule;
}

/**
 * Reviews one environment; `base` or `head` is undefined when the environment is only in the
 * other tree (all its content is then new, or gone). The analyzer runs on both sides; the access
 * matrix only when some object changed, since equal objects give equal matrices.
 */
export async function reviewEnvironment(
  environment: string, base: EnvironmentManifests | undefined, head: EnvironmentManifests | undefined, options: ReviewOptions = {},
): Promise<EnvironmentReview> {
  const before = base ?? NO_OBJECTS;
  const after = head ?? NO_OBJECTS;
  const analyzed = (side: EnvironmentManifests) => (side === NO_OBJECTS ? [] : analyzeObjects(side.objects, options, side.findings));
  const objects = diffObjects(before.objects, after.objects);
  const changed = objects.added.length + objects.removed.length + objects.modified.length > 0;
  return {
    environment,
    presence: base === undefined ? 'added' : head === undefined ? 'removed' : 'both',
    access: changed ? await reviewAccess(before.objects, after.objects, options) : { gained: [], lost: [], other: [] },
    findings: diffFindings(analyzed(before), analyzed(after)),
    objects,
  };
}

/**
 * Reviews two synthesized trees (`zt-mesh review`). Throws `AnalysisInputError` when a directory
 * is missing or not a tree, and when neither holds an environment.
 */
export async function reviewTrees(baseDir: string, headDir: string, options: ReviewOptions = {}): Promise<Review> {
  const base = loadTree(baseDir, 'base');
  const head = loadTree(headDir, 'head');
  if (base.size === 0 && head.size === 0) {
    throw new AnalysisInputError(`neither base ${baseDir} nor head ${headDir} holds an environment directory; ${TREE_FIX}.`);
  }
  const environments: EnvironmentReview[] = [];
  for (const name of [...new Set([...base.keys(), ...head.keys()])].sort(compareText)) {
    environments.push(await reviewEnvironment(name, base.get(name), head.get(name), options));
  }
  return { environments };
}

/** True when head introduces at least one error-severity finding in some environment. */
export function addsErrors(review: Review): boolean {
  return review.environments.some((e) => e.findings.introduced.some((f) => f.severity === 'error'));
}

/** True when head changes nothing in the environment: no object, edge or finding. */
export function isUnchangedEnvironment(e: EnvironmentReview): boolean {
  const { access, findings, objects } = e;
  return e.presence === 'both' && !access.error
    && access.gained.length + access.lost.length + access.other.length === 0
    && findings.introduced.length + findings.resolved.length === 0
    && objects.added.length + objects.removed.length + objects.modified.length === 0;
}
