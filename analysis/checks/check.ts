import type { Severity } from '../finding.js';
import type { Exception } from '../istio.js';
import type { MeshModel, MeshObject } from '../model.js';

/**
 * The area a check belongs to; codes are grouped by area in hundreds. `network` (egress scope,
 * ServiceEntry visibility and NetworkPolicy) has no hundred of its own left: it is ZT75x, the second
 * half of the Sidecar hundred, as the client-side mTLS checks are ZT25x. `ambient` (ztunnel and
 * waypoints, the other data plane) is ZT71x, in the same data-plane hundred.
 */
export type Area = 'input' | 'authorization' | 'mtls' | 'jwt' | 'ingress' | 'ports' | 'injection' | 'sidecar' | 'telemetry' | 'annotations' | 'network' | 'ambient';

/** One problem a check found on one object. */
export interface Issue {
  readonly object: MeshObject;
  readonly message: string;
  readonly fix: string;
}

/**
 * One analyzer check: a stable code, its severity, and `run`, which yields the issues it finds
 * in the model. A check with an `acknowledgement` reports an object that carries the
 * `zero-trust-mesh.io/acknowledged-<exception>` annotation as a warning with the reason.
 */
export interface Check {
  readonly code: string;
  readonly severity: Severity;
  readonly area: Area;
  readonly title: string;
  readonly acknowledgement?: Exception;
  /**
   * The `istioctl analyze` messages (IST codes, Istio's pkg/config/analysis/msg/messages.yaml) this
   * check reports the same problem as, so findings can be matched with Istio's. Absent when Istio
   * has no such message.
   */
  readonly istio?: readonly string[];
  run(model: MeshModel): Iterable<Issue>;
}

export function issue(object: MeshObject, message: string, fix: string): Issue {
  return { object, message, fix };
}

/** `Kind ns/name` for messages. */
export function ref(o: MeshObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}
