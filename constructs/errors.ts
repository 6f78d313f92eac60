/**
 * The one error type every construct throws for bad input. Its message reads as advice:
 * which construct, which field, what is wrong, and how to fix it.
 */
export class ZeroTrustConfigError extends Error {
  public constructor(
    /** The construct or value object that refused the input, e.g. `MeshWorkload "products/mysql"`. */
    public readonly construct: string,
    /** The offending field, as a props path, e.g. `ports[0].port`. */
    public readonly field: string,
    /** What is wrong, one sentence. */
    public readonly problem: string,
    /** What to do instead, one sentence. */
    public readonly fix: string,
  ) {
    super(`${construct}: ${field}: ${problem} Fix: ${fix}`);
    this.name = 'ZeroTrustConfigError';
  }
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Suggests a DNS-1123 label close to the given value, for error messages. */
export function suggestDnsLabel(value: string): string {
  const cleaned = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
  return (cleaned || 'name').slice(0, 63).replace(/-+$/, '');
}

/** Kubernetes names of namespaces, services and most objects: a DNS-1123 label. */
export function checkDnsLabel(value: string, construct: string, field: string): void {
  if (value.length > 63 || !DNS_1123_LABEL.test(value)) {
    throw new ZeroTrustConfigError(construct, field,
      `"${value}" is not a valid DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters).`,
      `use a name like "${suggestDnsLabel(value)}".`);
  }
}

/** Object names that may contain dots (ServiceAccounts, Secrets): a DNS-1123 subdomain. */
export function checkDnsSubdomain(value: string, construct: string, field: string): void {
  if (value.length > 253 || !DNS_1123_SUBDOMAIN.test(value)) {
    throw new ZeroTrustConfigError(construct, field,
      `"${value}" is not a valid DNS-1123 subdomain.`,
      `use a name like "${suggestDnsLabel(value)}".`);
  }
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label value: at most 63 characters, alphanumeric at both ends, `-`, `_`, `.` inside. */
export function checkLabelValue(value: string, construct: string, field: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new ZeroTrustConfigError(construct, field,
      `"${value}" is not a valid label value (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit).`,
      `use a value like "${value.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 63) || 'v1'}".`);
  }
}

/** A TCP port number: an integer between 1 and 65535. */
export function checkPortNumber(value: number, construct: string, field: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ZeroTrustConfigError(construct, field,
      `${value} is not a valid port number.`,
      'use an integer between 1 and 65535.');
  }
}

/** A host name as clients send it (no wildcard, no scheme, no port). */
export function checkHostName(value: string, construct: string, field: string): void {
  if (value === '*' || value.startsWith('*')) {
    throw new ZeroTrustConfigError(construct, field,
      `"${value}" is a wildcard host: the gateway would accept any Host and expose the service under names nobody reviewed (istio.io security best practices, "Gateways").`,
      'name the exact host, e.g. "api.example.com".');
  }
  if (value.length > 253 || !DNS_1123_SUBDOMAIN.test(value)) {
    throw new ZeroTrustConfigError(construct, field,
      `"${value}" is not a valid host name.`,
      'use a lower-case DNS name without scheme or port, e.g. "api.example.com".');
  }
}
