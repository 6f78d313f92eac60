/** A Kubernetes API object as plain data: what every back end and the analysis consume. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** `Kind/namespace/name`, the identity of an object in messages and maps. */
export function manifestId(m: Manifest): string {
  return `${m.kind}/${m.metadata.namespace ?? '-'}/${m.metadata.name}`;
}
