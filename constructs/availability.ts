import { ZeroTrustConfigError } from './errors.js';

/**
 * How many of a workload's pods a voluntary disruption (a node drain, a cluster upgrade) may take
 * down at once: a PodDisruptionBudget over all its pods. Give exactly one of the two fields.
 */
export interface DisruptionBudget {
  /**
   * Pods that may be unavailable at once, a number or a percentage (`"25%"`).
   * @default 1, when minAvailable is not given
   */
  readonly maxUnavailable?: number | string;
  /**
   * Pods that must stay available, a number or a percentage.
   * @default - unset: maxUnavailable governs
   */
  readonly minAvailable?: number | string;
}

/** Horizontal autoscaling on CPU, one HorizontalPodAutoscaler per Deployment or StatefulSet. */
export interface Autoscaling {
  /** The fewest pods, at least 1. */
  readonly minReplicas: number;
  /** The most pods, at least minReplicas. */
  readonly maxReplicas: number;
  /**
   * The average CPU use, in percent of the container's CPU request, that the autoscaler aims at.
   * @default 70
   */
  readonly cpuUtilization?: number;
}

/**
 * The topology keys replicas are spread across by default: nodes, then zones.
 * @internal
 */
export const DEFAULT_SPREAD: readonly string[] = ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'];

const PERCENT = /^(100|[1-9]?[0-9])%$/;

/**
 * Checks a budget against the pods it governs; a budget that blocks every drain is refused.
 * @internal
 */
export function checkDisruptionBudget(budget: DisruptionBudget, pods: number, construct: string): { maxUnavailable: number | string } | { minAvailable: number | string } {
  const given = (['maxUnavailable', 'minAvailable'] as const).filter((k) => budget[k] !== undefined);
  if (given.length > 1) {
    throw new ZeroTrustConfigError(construct, 'disruptionBudget', 'gives both maxUnavailable and minAvailable; Kubernetes accepts one.', 'keep one of them.');
  }
  const key = given[0] ?? 'maxUnavailable';
  const value = budget[key] ?? 1;
  const field = `disruptionBudget.${key}`;
  if (typeof value === 'string' ? !PERCENT.test(value) : !Number.isInteger(value) || value < 0) {
    throw new ZeroTrustConfigError(construct, field, `${JSON.stringify(value)} is not a pod count or a percentage.`, 'use a whole number, or a percentage such as "25%".');
  }
  const blocks = key === 'maxUnavailable'
    ? value === 0 || value === '0%'
    : (typeof value === 'number' ? value >= pods : value === '100%');
  if (blocks) {
    throw new ZeroTrustConfigError(construct, field,
      `${JSON.stringify(value)} with ${pods} pod(s) lets no pod be evicted, so every node drain and cluster upgrade would hang on this workload.`,
      key === 'maxUnavailable' ? 'allow at least one pod to be unavailable (maxUnavailable: 1).' : `require fewer than ${pods} pods (or run more replicas).`);
  }
  return key === 'maxUnavailable' ? { maxUnavailable: value } : { minAvailable: value };
}

/**
 * Checks autoscaling bounds.
 * @internal
 */
export function checkAutoscaling(a: Autoscaling, construct: string): void {
  if (!Number.isInteger(a.minReplicas) || a.minReplicas < 1) {
    throw new ZeroTrustConfigError(construct, 'autoscaling.minReplicas', `${a.minReplicas} is not a pod count of at least 1.`, 'use 1 or more (to scale to zero, set replicas: 0 without autoscaling).');
  }
  if (!Number.isInteger(a.maxReplicas) || a.maxReplicas < a.minReplicas) {
    throw new ZeroTrustConfigError(construct, 'autoscaling.maxReplicas', `${a.maxReplicas} is below minReplicas (${a.minReplicas}) or not a whole number.`, `use ${a.minReplicas} or more.`);
  }
  const cpu = a.cpuUtilization ?? 70;
  if (!Number.isInteger(cpu) || cpu < 1) {
    throw new ZeroTrustConfigError(construct, 'autoscaling.cpuUtilization', `${cpu} is not a percentage of the CPU request.`, 'use a whole number such as 70.');
  }
}
