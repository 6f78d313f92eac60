// Istio annotation checks: names Istio does not define, annotations on a kind they do not apply
// to, values the sidecar injector rejects, deprecated ones. Sources: the annotation catalogue
// (https://istio.io/latest/docs/reference/config/annotations/, generated into
// ../istio-annotations.ts); istio:pkg/config/analysis/analyzers/annotations (K8sAnalyzer);
// istio:pkg/kube/inject/validate.go (AnnotationValidation).
import { parse } from 'yaml';
import { isIpOrCidr, parseGoBool } from '../istio.js';
import { ISTIO_ANNOTATIONS } from '../istio-annotations.js';
import type { MeshModel, MeshObject } from '../model.js';
import { listing } from '../values.js';
import { Check, issue, ref } from './check.js';

/** Kinds with a pod template, whose own annotations do not reach their pods. */
const POD_CONTROLLERS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];
/** Kinds whose own annotations are checked (istioctl's list, with every pod controller). */
const ANNOTATED_KINDS = ['Namespace', 'Service', 'Pod', ...POD_CONTROLLERS];

/**
 * Annotations Istio itself writes (the injector's status, the gateway controller's version, the
 * revision): never reported (istio:pkg/config/analysis/analyzers/maturity AlwaysIgnoredAnnotations).
 */
const WRITTEN_BY_ISTIO = new Set(['sidecar.istio.io/status', 'gateway.istio.io/controller-version', 'istio.io/rev']);

/** `istio.io/dry-run` has its own checks (ZT117, ZT118), on every kind. */
const DRY_RUN = 'istio.io/dry-run';
/** The injection annotation on a pod or pod template has its own check (ZT604). */
const INJECT = 'sidecar.istio.io/inject';

/**
 * An annotation in Istio's domain (a prefix ending in `istio.io`, or a prefix-less name that does,
 * as istioctl reads it: istio:pkg/config/analysis/analyzers/annotations istioAnnotation), or the
 * Ingress class Istio documents.
 */
function isIstioAnnotation(name: string): boolean {
  return name === 'kubernetes.io/ingress.class' || name.split('/')[0]!.endsWith('istio.io');
}

/** One place annotations are written: an object's metadata, or a controller's pod template. */
interface Site { readonly object: MeshObject; readonly kind: string; readonly where: string; readonly annotations: Readonly<Record<string, string>> }

function* sites(m: MeshModel): Generator<Site> {
  for (const kind of ANNOTATED_KINDS) for (const o of m.ofKind(kind)) yield { object: o, kind, where: ref(o), annotations: o.annotations };
  for (const w of m.workloads) {
    if (w.object.kind === 'Pod') continue;
    yield { object: w.object, kind: 'Pod', where: `${ref(w.object)} pod template`, annotations: w.podAnnotations };
  }
}

function* istioAnnotations(m: MeshModel): Generator<{ site: Site; name: string; value: string }> {
  for (const site of sites(m)) {
    // In the object's order: the analyzer sorts the findings.
    for (const [name, value] of Object.entries(site.annotations)) {
      if (isIstioAnnotation(name) && !WRITTEN_BY_ISTIO.has(name)) yield { site, name, value };
    }
  }
}

const uint = (bits: number) => (v: string) => /^\d+$/.test(v) && Number(v) < 2 ** bits ? undefined : `not an unsigned ${bits}-bit integer`;
const port = uint(16);
const portList = (v: string) => (v.trim() === '' || v.split(',').every((p) => port(p.trim()) === undefined) ? undefined : 'not a comma-separated list of ports');
/** The injector parses each entry as a prefix (Go's netip.ParsePrefix): a bare address is refused. */
const cidrList = (v: string) => (v === '' || v.split(',').every((c) => c.includes('/') && isIpOrCidr(c)) ? undefined : 'not a comma-separated list of CIDRs');
/** Kubernetes resource quantities (`500m`, `1Gi`, `2.5`, `1e3`). */
const quantity = (v: string) => (/^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/.test(v) ? undefined : 'not a Kubernetes resource quantity (e.g. 100m, 128Mi)');

/** The sidecar injector's value checks; a failing one makes injection of the pod fail. */
const VALUE_CHECKS: ReadonlyMap<string, (value: string) => string | undefined> = new Map([
  ['sidecar.istio.io/interceptionMode', (v: string) => (['REDIRECT', 'TPROXY', 'NONE'].includes(v) ? undefined : 'not one of REDIRECT, TPROXY, NONE')],
  ['status.sidecar.istio.io/port', (v: string) => port(v.trim())],
  ['readiness.status.sidecar.istio.io/initialDelaySeconds', uint(32)],
  ['readiness.status.sidecar.istio.io/periodSeconds', uint(32)],
  ['readiness.status.sidecar.istio.io/failureThreshold', uint(32)],
  ['traffic.sidecar.istio.io/includeOutboundIPRanges', (v: string) => (v === '*' ? undefined : cidrList(v))],
  ['traffic.sidecar.istio.io/excludeOutboundIPRanges', cidrList],
  ['traffic.sidecar.istio.io/includeInboundPorts', (v: string) => (v === '*' ? undefined : portList(v))],
  ['traffic.sidecar.istio.io/excludeInboundPorts', portList],
  ['traffic.sidecar.istio.io/excludeOutboundPorts', portList],
  ['prometheus.istio.io/merge-metrics', (v: string) => (parseGoBool(v) === undefined ? 'not a boolean' : undefined)],
  ['proxy.istio.io/config', (v: string) => {
    try {
      const config: unknown = parse(v);
      // An empty value parses to null: no settings, which the injector accepts.
      return typeof config === 'object' && !Array.isArray(config) ? undefined : 'not a ProxyConfig map';
    } catch {
      return 'not valid YAML';
    }
  }],
  ['sidecar.istio.io/proxyCPU', quantity],
  ['sidecar.istio.io/proxyMemory', quantity],
  ['sidecar.istio.io/proxyCPULimit', quantity],
  ['sidecar.istio.io/proxyMemoryLimit', quantity],
]);

/** Names of Istio annotations close to `name` (same domain, same name ignoring case): likely meant. */
function suggestion(name: string): string {
  const lower = name.toLowerCase();
  const same = [...ISTIO_ANNOTATIONS.keys()].find((k) => k.toLowerCase() === lower);
  if (same) return ` (did you mean "${same}"?)`;
  const domain = name.split('/')[0];
  const near = [...ISTIO_ANNOTATIONS.keys()].filter((k) => k.split('/')[0] === domain).slice(0, 6);
  return near.length ? ` (annotations of ${domain}: ${near.join(', ')})` : '';
}

export const ANNOTATION_CHECKS: readonly Check[] = [
  {
    code: 'ZT901', severity: 'warning', area: 'annotations', istio: ['IST0108'], title: 'Unknown Istio annotation',
    *run(m) {
      for (const { site, name } of istioAnnotations(m)) {
        if (ISTIO_ANNOTATIONS.has(name)) continue;
        yield issue(site.object, `${site.where} has annotation "${name}", which Istio does not define${suggestion(name)}: it is ignored.`,
          'correct the name from https://istio.io/latest/docs/reference/config/annotations/, or remove it.');
      }
    },
  },
  {
    code: 'ZT902', severity: 'warning', area: 'annotations', istio: ['IST0107'], title: 'Istio annotation on a kind it does not apply to',
    *run(m) {
      for (const { site, name } of istioAnnotations(m)) {
        const known = ISTIO_ANNOTATIONS.get(name);
        if (!known || name === DRY_RUN || known.resources.includes('Any') || known.resources.includes(site.kind)) continue;
        const onTemplate = known.resources.includes('Pod') && POD_CONTROLLERS.includes(site.kind);
        yield issue(site.object, `${site.where} has annotation "${name}", which applies to ${known.resources.join(', ')} only: here it is ignored.`,
          onTemplate ? `move it to the pod template (spec.template.metadata.annotations).` : `put it on the ${listing(known.resources, 'or')} it is meant for, or remove it.`);
      }
    },
  },
  {
    code: 'ZT903', severity: 'warning', area: 'annotations', istio: ['IST0125'], title: 'Istio annotation value the injector rejects',
    *run(m) {
      for (const { site, name, value } of istioAnnotations(m)) {
        if (site.kind !== 'Pod') continue;
        const problem = VALUE_CHECKS.get(name)?.(value);
        if (!problem) continue;
        yield issue(site.object, `${site.where} has ${name}: "${value}", ${problem}; the sidecar injector rejects the value, so the pod is not injected as intended.`,
          'correct the value (https://istio.io/latest/docs/reference/config/annotations/).');
      }
    },
  },
  {
    code: 'ZT904', severity: 'info', area: 'annotations', istio: ['IST0135'], title: 'Deprecated Istio annotation',
    *run(m) {
      for (const { site, name } of istioAnnotations(m)) {
        if (!ISTIO_ANNOTATIONS.get(name)?.deprecated || (name === INJECT && site.kind === 'Pod')) continue;
        yield issue(site.object, `${site.where} has annotation "${name}", which Istio has deprecated; it may stop working in a future release.`,
          'replace it as https://istio.io/latest/docs/reference/config/annotations/ describes, or remove it.');
      }
    },
  },
];
