import { ZeroTrustConfigError } from './errors.js';

/**
 * The inbound mTLS mode of a PeerAuthentication (Istio `security.istio.io/v1`).
 * It governs what a workload's sidecar *accepts*; callers' sidecars follow it (auto mTLS).
 */
export enum MtlsMode {
  /** Only Istio mTLS is accepted; a plaintext client's connection is reset. */
  STRICT = 'STRICT',
  /** mTLS and plaintext are both accepted; plaintext requests carry no peer identity. */
  PERMISSIVE = 'PERMISSIVE',
  /** Plaintext only; no peer identity is ever known, so principal-based grants can never match. */
  DISABLE = 'DISABLE',
}

/** True when `mode` accepts plaintext, i.e. is weaker than STRICT. */
export function acceptsPlaintext(mode: MtlsMode): boolean {
  return mode !== MtlsMode.STRICT;
}

/**
 * Refuses a value that is no mTLS mode (config read as data, or a cast in code).
 * @internal
 */
export function checkMtlsMode(value: unknown, construct: string, field: string): void {
  if (!Object.values(MtlsMode).includes(value as MtlsMode)) {
    throw new ZeroTrustConfigError(construct, field, `"${String(value)}" is not an mTLS mode.`, 'use STRICT, PERMISSIVE or DISABLE.');
  }
}
