// Small manifests for analyzer tests, written as YAML so that a case reads like the manifest
// a user would write. `BASE` is a clean mesh; cases add to it or change it.
import { expect } from '@jest/globals';
import { analyzeObjects, type AnalyzeOptions, type Finding, parseManifests } from '../../analysis/index.js';

export interface AppOptions {
  readonly port?: number;
  readonly portName?: string;
  readonly servicePort?: number;
  readonly servicePortName?: string;
  /** Extra pod labels, as flow-YAML entries: `version: v1, foo: bar`. */
  readonly podLabels?: string;
  /** Pod annotations as flow-YAML entries. */
  readonly podAnnotations?: string;
  /** ServiceAccount; null for none (the namespace default). */
  readonly serviceAccount?: string | null;
  readonly runAsUser?: number;
  /** Whether to emit a Service. @default true */
  readonly service?: boolean;
}

/** A Deployment (label app=<name>), its ServiceAccount and Service. */
export function app(namespace: string, name: string, o: AppOptions = {}): string {
  const port = o.port ?? 8080;
  const sa = o.serviceAccount === undefined ? name : o.serviceAccount;
  const docs = [
    ...(sa !== null ? [`apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${sa}, namespace: ${namespace}}\n`] : []),
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}${o.podLabels ? `, ${o.podLabels}` : ''}}${o.podAnnotations ? `, annotations: {${o.podAnnotations}}` : ''}}
    spec: {${sa !== null ? `serviceAccountName: ${sa}, ` : ''}${o.runAsUser !== undefined ? `securityContext: {runAsUser: ${o.runAsUser}}, ` : ''}containers: [{name: app, image: "example/${name}:1", ports: [{containerPort: ${port}, name: ${o.portName ?? 'http'}}]}]}
`,
    ...(o.service ?? true ? [`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec: {selector: {app: ${name}}, ports: [{name: ${o.servicePortName ?? o.portName ?? 'http'}, port: ${o.servicePort ?? (port === 3306 ? 3306 : 80)}, targetPort: ${port}}]}
`] : []),
  ];
  return docs.join('---\n');
}

export const ns = (name: string, labels = 'istio-injection: enabled') => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: {${labels}}}\n`;

/** An Istio object in flow YAML: `spec` is a flow map. */
export function istio(kind: string, namespace: string, name: string, spec: string, annotations?: string): string {
  const group = ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'].includes(kind) ? 'networking.istio.io/v1' : 'security.istio.io/v1';
  return `apiVersion: ${group}\nkind: ${kind}\nmetadata: {name: ${name}, namespace: ${namespace}${annotations ? `, annotations: {${annotations}}` : ''}}\nspec: ${spec}\n`;
}

export const join = (...docs: string[]) => docs.join('---\n');

/** A clean mesh: namespace shop (injected, default deny), STRICT mesh mTLS, api and web (HTTP 80→8080) and db (TCP 3306). */
export const BASE = join(
  ns('shop'),
  istio('PeerAuthentication', 'istio-system', 'default', '{mtls: {mode: STRICT}} # mesh'),
  istio('AuthorizationPolicy', 'shop', 'allow-nothing', '{} # allow-nothing'),
  app('shop', 'api'),
  app('shop', 'web'),
  app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }),
);

export const GATEWAY_POD = app('istio-system', 'ingressgateway', { podLabels: 'istio: ingressgateway', port: 8443, portName: 'https', service: false });

/** Analyzes YAML text as `zt-mesh analyze` would a file. */
export function analyzeYaml(yaml: string, options: AnalyzeOptions = {}): Finding[] {
  const { objects, findings } = parseManifests(yaml, 'case.yaml');
  return analyzeObjects(objects, options, findings);
}

export const codesOf = (findings: readonly Finding[]) => [...new Set(findings.map((f) => f.code))].sort();

/** The analyzer's findings; a check that throws (ZT009, "check failed") fails the test instead of staying silent. */
export function analyzedStrictly(yaml: string, options: AnalyzeOptions = {}): Finding[] {
  const findings = analyzeYaml(yaml, options);
  expect(findings.filter((f) => f.code === 'ZT009').map((f) => f.message)).toEqual([]);
  return findings;
}

/** A finding as what a reader of the report sees. */
const asSeen = (f: Finding) => ({ severity: f.severity, object: `${f.kind} ${f.namespace === null ? '' : `${f.namespace}/`}${f.name}`, message: f.message, fix: f.fix });

/** The findings of one code, as what a reader of the report sees. */
export const foundIn = (yaml: string, code: string, options: AnalyzeOptions = {}) => analyzedStrictly(yaml, options).filter((f) => f.code === code).map(asSeen);

/** `foundIn` for a manifest that must load cleanly (no ZT00x finding): a typo in a case would make it vacuous. */
export function foundInClean(yaml: string, code: string): ReturnType<typeof asSeen>[] {
  const findings = analyzedStrictly(yaml);
  expect(findings.filter((f) => /^ZT00\d$/.test(f.code)).map((f) => `${f.code} ${f.message}`)).toEqual([]);
  return findings.filter((f) => f.code === code).map(asSeen);
}
