import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tokenJourney } from '../analysis/access/chain.js';
import { accessMatrix, forEachMatrixColumn } from '../analysis/access/matrix.js';
import { diffMatrices, formatChain, formatDiff, MatrixFormat, MatrixWriter } from '../analysis/access/report.js';
import { parseFeatureFlags } from '../analysis/access/features.js';
import { AccessRequest, AccessRequestError, AccessSimulator, SimulatorOptions } from '../analysis/access/simulator.js';
import { AnalysisInputError, loadPaths } from '../analysis/load.js';
import { MeshModel } from '../analysis/model.js';
import { terminalSafe } from './main.js';


const COMMON = {
  manifests: { type: 'string', multiple: true },
  jwks: { type: 'string', multiple: true },
  'root-namespace': { type: 'string' },
  'trust-domain': { type: 'string' },
  'ingress-gateway': { type: 'string' },
  'outbound-traffic-policy': { type: 'string' },
  feature: { type: 'string', multiple: true },
  'ztunnel-empty-selector': { type: 'string' },
  format: { type: 'string' },
} as const;

type Values = { [K in keyof typeof COMMON]?: (typeof COMMON)[K] extends { multiple: true } ? string[] : string };

/** Runs `zt-mesh access <verb> ...`; returns the exit status. Usage errors throw `AccessRequestError`. */
export async function access(args: readonly string[]): Promise<number> {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'check': return check(rest);
    case 'matrix': return matrix(rest);
    case 'diff': return diff(rest);
    case 'chain': return chain(rest);
    default:
      throw new AccessRequestError(`unknown access command "${verb ?? ''}"; use check, matrix, diff or chain.`);
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>(args: readonly string[], extra: T) {
  try {
    return parseArgs({ args: [...args], options: { ...COMMON, ...extra }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new AccessRequestError((error as Error).message);
  }
}

function simulatorFor(paths: readonly string[], values: Values): AccessSimulator {
  if (paths.length === 0) throw new AccessRequestError('give the manifests to simulate with --manifests <file-or-dir>.');
  let loaded;
  try {
    loaded = loadPaths(paths);
  } catch (error) {
    if (error instanceof AnalysisInputError) throw new AccessRequestError(error.message);
    throw error;
  }
  for (const finding of loaded.findings) {
    const what = finding.severity === 'error' ? ' (skipped)' : '';
    process.stderr.write(terminalSafe(`zt-mesh access: ${finding.file ? `${finding.file}: ` : ''}${finding.severity} ${finding.code} ${finding.message}${what}\n`));
  }
  const model = new MeshModel(loaded.objects, {
    ...(values['root-namespace'] ? { rootNamespace: values['root-namespace'] } : {}),
    ...(values['trust-domain'] ? { trustDomain: values['trust-domain'] } : {}),
  });
  const options: { -readonly [K in keyof SimulatorOptions]: SimulatorOptions[K] } = { jwks: jwksMappings(values.jwks ?? []) };
  const outbound = values['outbound-traffic-policy'];
  if (outbound !== undefined) {
    if (outbound !== 'ALLOW_ANY' && outbound !== 'REGISTRY_ONLY') throw new AccessRequestError(`--outbound-traffic-policy "${outbound}": use ALLOW_ANY or REGISTRY_ONLY.`);
    options.outboundTrafficPolicy = outbound;
  }
  const features = parseFeatureFlags(values.feature ?? []);
  if ('error' in features) throw new AccessRequestError(features.error);
  options.features = features;
  const emptySelector = values['ztunnel-empty-selector'];
  if (emptySelector !== undefined) {
    if (emptySelector !== 'all' && emptySelector !== 'none') throw new AccessRequestError(`--ztunnel-empty-selector "${emptySelector}": use all or none.`);
    options.ztunnelEmptySelector = emptySelector;
  }
  if (values['ingress-gateway'] !== undefined) {
    const parts = values['ingress-gateway'].split('/');
    const [namespace, serviceAccount] = parts;
    if (parts.length !== 2 || !namespace || !serviceAccount) throw new AccessRequestError(`--ingress-gateway "${values['ingress-gateway']}" must be <namespace>/<service-account>.`);
    options.ingressGateway = { namespace, serviceAccount, labels: { istio: 'ingressgateway', app: serviceAccount } };
  }
  return new AccessSimulator(model, options);
}

function jwksMappings(mappings: readonly string[]): Record<string, string> {
  // Keyed by URIs from the command line: no prototype, so any URI is an ordinary key.
  const jwks = Object.create(null) as Record<string, string>;
  for (const mapping of mappings) {
    const at = mapping.lastIndexOf('=');
    const uri = mapping.slice(0, at);
    const file = mapping.slice(at + 1);
    if (at <= 0 || !file) throw new AccessRequestError(`--jwks "${mapping}" must be <uri>=<file>.`);
    jwks[uri] = readRegularFile(file, `--jwks ${uri}`);
  }
  return jwks;
}

function formatOf(value: string | undefined, fallback: MatrixFormat): MatrixFormat {
  const format = value ?? fallback;
  if (format !== 'text' && format !== 'markdown' && format !== 'json') throw new AccessRequestError(`--format "${format}": use text, markdown or json.`);
  return format;
}

/**
 * A file's text for an option, read only when it is a regular file (a directory or a FIFO, which
 * would block the read forever, is refused first); any failure is an `AccessRequestError`.
 */
function readRegularFile(file: string, option: string): string {
  try {
    const stats = statSync(file);
    if (stats.isDirectory()) throw new AccessRequestError(`${option}: ${file} is a directory; name the file itself.`);
    if (!stats.isFile()) throw new AccessRequestError(`${option}: ${file} is not a regular file (a pipe, socket or device); name a file.`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof AccessRequestError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new AccessRequestError(code === 'ENOENT' || code === 'ENOTDIR' ? `${option}: ${file}: no such file.` : `${option}: ${file} cannot be read (${code ?? String(error)}).`);
  }
}

/** Whether a path names something on the file system (a broken link too). */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

/** Parses and checks a request given as JSON text or as a file holding it. */
export function parseRequest(input: string): AccessRequest {
  const trimmed = input.trim();
  // JSON text starts with `{`, `[`, `"`, a digit, `-`, or is a literal; anything else is a file.
  const looksLikeJson = /^[{["\d-]/.test(trimmed) || ['true', 'false', 'null'].includes(trimmed);
  const text = looksLikeJson && !exists(input) ? input : exists(input) ? readRegularFile(input, '--request') : undefined;
  if (text === undefined) throw new AccessRequestError(`--request: "${input}" is neither JSON nor a file; give the request as a JSON object, say '{"from": {"outside": true}, "to": "ns/svc", "port": 80}', or the name of a file holding one.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AccessRequestError(`--request is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AccessRequestError(`--request must be a JSON object with from, to and port; got ${Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`}.`);
  }
  const r = value as Record<string, unknown>;
  const from = r?.from as Record<string, unknown> | undefined;
  const outsideOk = (f: Record<string, unknown>) => f.outside === true
    && Object.keys(f).every((k) => k === 'outside' || (k === 'ip' && typeof f.ip === 'string' && /^[0-9a-fA-F.:]+$/.test(f.ip)));
  const fromOk = from !== null && typeof from === 'object'
    && ((typeof from.workload === 'string' && Object.keys(from).length === 1) || outsideOk(from) || (from.ingress === true && Object.keys(from).length === 1));
  if (!fromOk) throw new AccessRequestError('request.from must be {"workload": "ns/name"}, {"outside": true} (optionally with "ip": "203.0.113.7") or {"ingress": true}.');
  if (r.toHost !== undefined) {
    if (r.to !== undefined) throw new AccessRequestError('give request.to (a Service) or request.toHost (an external host), not both.');
    if (typeof r.toHost !== 'string' || !/^[A-Za-z0-9*][A-Za-z0-9.*-]*$/.test(r.toHost)) throw new AccessRequestError('request.toHost must be a host name, say "api.stripe.com".');
    if (from?.workload === undefined) throw new AccessRequestError('request.toHost needs request.from to be {"workload": "ns/name"}.');
  } else if (typeof r.to !== 'string' || !/^[^/]+\/[^/]+$/.test(r.to)) throw new AccessRequestError('request.to must be "namespace/service" (or give request.toHost for an external host).');
  if (!Number.isInteger(r.port)) throw new AccessRequestError('request.port must be the Service port (with toHost, the host\'s port), a number.');
  for (const field of ['method', 'path', 'token'] as const) {
    if (r[field] !== undefined && typeof r[field] !== 'string') throw new AccessRequestError(`request.${field} must be a string.`);
  }
  if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null || Array.isArray(r.headers) || Object.values(r.headers).some((v) => typeof v !== 'string'))) {
    throw new AccessRequestError('request.headers must be an object of header names to strings, say {"x-user": "alice"}.');
  }
  if (r.addressing !== undefined && r.addressing !== 'service' && r.addressing !== 'workload') throw new AccessRequestError('request.addressing must be "service" or "workload" (the client dials the pod IP; port is then the container port).');
  if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https' && r.scheme !== 'tcp') throw new AccessRequestError('request.scheme must be "http", "https" or "tcp".');
  if (r.addressing === 'workload' && r.toHost !== undefined) throw new AccessRequestError('request.addressing "workload" names a pod with request.to, not request.toHost.');
  const known = ['from', 'to', 'toHost', 'port', 'method', 'path', 'headers', 'token', 'addressing', 'scheme'];
  const unknown = Object.keys(r).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new AccessRequestError(`request has unknown field(s) ${unknown.join(', ')}; use ${known.join(', ')}.`);
  return value as AccessRequest;
}

async function check(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { request: { type: 'string' } });
  if (!values.request) throw new AccessRequestError('give the request with --request <json-or-file>.');
  const request = parseRequest(values.request);
  const simulator = simulatorFor([...(values.manifests ?? []), ...positionals], values);
  const verdict = await simulator.check(request);
  process.stdout.write(terminalSafe(`${JSON.stringify({ outcome: verdict.outcome, reason: verdict.reason })}\n`));
  return 0;
}

async function matrix(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  const format = formatOf(values.format, 'text');
  const simulator = simulatorFor([...(values.manifests ?? []), ...positionals], values);
  // Streamed: each column's cells are written (JSON) or recorded in a compact grid (text,
  // markdown) as it is decided, and the output leaves in blocks of about 64 KB, never as one
  // string; when stdout is a pipe that is full, the next block waits for it to drain (without
  // waiting, the queued blocks of a large matrix grow past memory and the pipe write fails).
  const out = new StdoutBlocks();
  const writer = new MatrixWriter(format, (chunk) => out.write(chunk));
  await forEachMatrixColumn(simulator, (column) => {
    writer.addColumn(column);
    return out.drained();
  });
  await writer.finish();
  out.flush();
  await out.drained();
  return 0;
}

/** Pieces of output gathered into blocks of about 64 KB, each made terminal-safe and written to stdout. */
class StdoutBlocks {
  private pieces: string[] = [];
  private size = 0;
  private full?: Promise<void>;

  /** Adds a piece; when a block leaves and stdout is full, returns a promise that it has drained. */
  public write(chunk: string): Promise<void> | undefined {
    this.pieces.push(chunk);
    this.size += chunk.length;
    if (this.size >= 65536) this.flush();
    return this.full;
  }

  public flush(): void {
    if (this.pieces.length === 0) return;
    const accepted = process.stdout.write(terminalSafe(this.pieces.join('')));
    this.pieces = [];
    this.size = 0;
    if (!accepted && !this.full) {
      this.full = new Promise<void>((resolve) => {
        const done = (): void => {
          process.stdout.off('drain', done);
          process.stdout.off('close', done);
          this.full = undefined;
          resolve();
        };
        process.stdout.on('drain', done);
        process.stdout.on('close', done);
      });
    }
  }

  /** Resolves once stdout has taken what was written (at once when it is not full). */
  public async drained(): Promise<void> {
    await this.full;
  }
}

async function diff(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (positionals.length !== 2) throw new AccessRequestError('give exactly two manifest sets: zt-mesh access diff <old-dir> <new-dir>.');
  const format = formatOf(values.format, 'text');
  const [before, after] = await Promise.all(positionals.map((dir) => accessMatrix(simulatorFor([dir], values))));
  process.stdout.write(terminalSafe(formatDiff(diffMatrices(before!, after!), format)));
  return 0;
}

async function chain(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: 'string', multiple: true }, path: { type: 'string', multiple: true }, method: { type: 'string' }, token: { type: 'string' }, 'assume-valid-token': { type: 'boolean' },
    'to-host': { type: 'string' },
  });
  let toHost: { host: string; port: number } | undefined;
  if (values['to-host'] !== undefined) {
    const match = /^([A-Za-z0-9*][A-Za-z0-9.*-]*):(\d+)$/.exec(values['to-host']);
    if (!match) throw new AccessRequestError(`--to-host "${values['to-host']}" must be <host>:<port>, say api.stripe.com:443.`);
    toHost = { host: match[1]!, port: Number(match[2]) };
  }
  const ports = (values.port ?? []) as string[];
  if (ports.length === 0 || ports.some((p) => !/^\d+$/.test(p))) throw new AccessRequestError('give the Service port with --port <number> (once for every hop, or once per hop in call order).');
  if (values.token && values['assume-valid-token']) throw new AccessRequestError('give --token or --assume-valid-token, not both.');
  const simulator = simulatorFor(values.manifests ?? [], values);
  const steps = await tokenJourney(simulator, {
    services: positionals, port: ports.map(Number),
    ...(values.path ? { path: values.path as string[] } : {}), ...(values.method ? { method: values.method } : {}),
    ...(values.token ? { token: values.token } : {}), ...(values['assume-valid-token'] ? { assumeValidToken: true } : {}),
    ...(toHost ? { toHost } : {}),
  });
  process.stdout.write(terminalSafe(formatChain(steps, formatOf(values.format, 'text'))));
  return 0;
}
