import * as pulumi from '@pulumi/pulumi';

/** Pulumi's marker for a secret value on the wire (`sdk/nodejs/runtime/rpc.ts`). */
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const SIG_KEY = '4dabf18193072939515e22adb298388d';

/** One `RegisterResource` call as the engine would receive it. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  /** The resource's inputs as serialized for the engine: secrets still wrapped. */
  readonly wire: Record<string, unknown>;
  /** URNs of the resources it waits for (`dependsOn`, expanded by the SDK). */
  readonly dependencies: readonly string[];
}

interface RegisterRequest {
  getType(): string; getName(): string; getCustom(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getDependenciesList(): string[];
}
interface MonitorWithRegister {
  registerResource(req: RegisterRequest, callback: (err: unknown, resp?: { getUrn(): string }) => void): void;
}

/**
 * Installs Pulumi's mocks for one stack, with its config, and records every registration as the
 * engine would see it (the mocks' own `newResource` gets inputs with secrets already unwrapped).
 */
export async function mockStack(stack: string, config: Readonly<Record<string, string>>, secretKeys: readonly string[] = []): Promise<Registration[]> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
  }, 'zero-trust-mesh', stack, false);
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => register(req, (err, resp) => {
    if (!err && resp) {
      registrations.push({
        type: req.getType(), name: req.getName(), urn: resp.getUrn(), custom: req.getCustom(),
        wire: req.getObject()?.toJavaScript() ?? {}, dependencies: req.getDependenciesList(),
      });
    }
    callback(err, resp);
  });
  const full = (k: string) => (k.includes(':') ? k : `zero-trust-mesh:${k}`);
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [full(k), v])), secretKeys.map(full));
  return registrations;
}

/** Resolves once every given resource's URN is known, i.e. it has been registered. */
export async function registered(resources: readonly pulumi.Resource[]): Promise<void> {
  await Promise.all(resources.map((r) => new Promise<void>((resolve) => r.urn.apply(() => resolve()))));
}

/** Whether a wire value is a secret wrapper. */
export function isSecretWire(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Paths in a wire object where `needle` occurs in a string outside any secret wrapper. */
export function plainOccurrences(wire: unknown, needle: string, path = ''): string[] {
  if (isSecretWire(wire)) return [];
  if (typeof wire === 'string') return wire.includes(needle) ? [path || '.'] : [];
  if (Array.isArray(wire)) return wire.flatMap((v, i) => plainOccurrences(v, needle, `${path}[${i}]`));
  if (typeof wire === 'object' && wire !== null) {
    return Object.entries(wire).flatMap(([k, v]) => plainOccurrences(v, needle, `${path}.${k}`));
  }
  return [];
}

/** The wire object with secret wrappers replaced by their values (to compare plain fields). */
export function unwrapSecrets(wire: unknown): unknown {
  if (isSecretWire(wire)) return unwrapSecrets(wire.value);
  if (Array.isArray(wire)) return wire.map(unwrapSecrets);
  if (typeof wire === 'object' && wire !== null) return Object.fromEntries(Object.entries(wire).map(([k, v]) => [k, unwrapSecrets(v)]));
  return wire;
}
