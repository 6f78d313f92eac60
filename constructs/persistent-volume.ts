import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { checkDnsLabel, ZeroTrustConfigError } from './errors.js';

/** How a volume may be mounted (Kubernetes access modes). */
export type VolumeAccessMode = 'ReadWriteOnce' | 'ReadWriteOncePod' | 'ReadOnlyMany' | 'ReadWriteMany';

/**
 * A directory kept on a PersistentVolume: each pod of a stateful workload gets its own
 * PersistentVolumeClaim from a claim template (named `<volume>-<workload>-<ordinal>`), which
 * outlives the pod, so a restart or a reschedule finds the data where it was left.
 */
export interface PersistentVolume {
  /** The claim template's name, e.g. `data`. */
  readonly name: string;
  /** Where the volume is mounted in the app container, e.g. `/var/lib/mysql`. */
  readonly path: string;
  /** The requested capacity, a Kubernetes quantity, e.g. `10Gi`. */
  readonly size: string;
  /**
   * The StorageClass that provisions the volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /** @default 'ReadWriteOnce' */
  readonly accessMode?: VolumeAccessMode;
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const ACCESS_MODES: readonly VolumeAccessMode[] = ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadOnlyMany', 'ReadWriteMany'];

/**
 * Checks the volumes of a stateful workload against each other and its writable paths.
 * @internal
 */
export function checkPersistentVolumes(volumes: readonly PersistentVolume[], writablePaths: readonly string[], construct: string): void {
  const names = new Set<string>();
  const paths = new Set<string>();
  volumes.forEach((v, i) => {
    const field = `persistentVolumes[${i}]`;
    checkDnsLabel(v.name ?? '', construct, `${field}.name`);
    if (names.has(v.name)) {
      throw new ZeroTrustConfigError(construct, `${field}.name`, `volume "${v.name}" is declared twice.`, 'give each volume its own name.');
    }
    if (typeof v.path !== 'string' || !v.path.startsWith('/') || v.path === '/') {
      throw new ZeroTrustConfigError(construct, `${field}.path`, `"${v.path}" is not a directory to mount a volume on.`, 'give an absolute directory, e.g. "/var/lib/mysql".');
    }
    if (paths.has(v.path) || writablePaths.includes(v.path)) {
      throw new ZeroTrustConfigError(construct, `${field}.path`,
        `"${v.path}" is mounted twice (${paths.has(v.path) ? 'by another persistent volume' : 'also listed in writablePaths, which would put an emptyDir there'}).`,
        'mount each directory once; a persistent volume is writable already, so drop it from writablePaths.');
    }
    if (typeof v.size !== 'string' || !QUANTITY.test(v.size) || /^0+(\.0+)?[A-Za-z]*$/.test(v.size)) {
      throw new ZeroTrustConfigError(construct, `${field}.size`, `"${v.size}" is not a storage size.`, 'give a Kubernetes quantity, e.g. "10Gi".');
    }
    if (v.storageClassName !== undefined) checkDnsLabel(v.storageClassName, construct, `${field}.storageClassName`);
    if (v.accessMode !== undefined && !ACCESS_MODES.includes(v.accessMode)) {
      throw new ZeroTrustConfigError(construct, `${field}.accessMode`, `"${String(v.accessMode)}" is not an access mode.`, `use one of ${ACCESS_MODES.join(', ')}.`);
    }
    names.add(v.name);
    paths.add(v.path);
  });
}

/**
 * The StatefulSet's claim template for a volume.
 * @internal
 */
export function claimTemplate(v: PersistentVolume): PersistentVolumeClaim {
  return {
    metadata: { name: v.name },
    spec: {
      accessModes: [v.accessMode ?? 'ReadWriteOnce'],
      ...(v.storageClassName ? { storageClassName: v.storageClassName } : {}),
      resources: { requests: { storage: v.size } },
    },
  };
}
