/**
 * The value of a container environment variable: a literal, or a reference to a key of a
 * Secret that the cluster owns. Secret values are never written into manifests.
 */
export class EnvValue {
  /** A literal value, written into the manifest as is. Refused for names that look secret. */
  public static fromValue(value: string): EnvValue {
    return new EnvValue(value, undefined);
  }

  /** A key of a Secret created outside the synthesized manifests (Pulumi secret, sealed secret...). */
  public static fromSecretKey(secretName: string, key: string): EnvValue {
    return new EnvValue(undefined, { name: secretName, key });
  }

  private constructor(
    public readonly value: string | undefined,
    public readonly secretKeyRef: { readonly name: string; readonly key: string } | undefined,
  ) {}
}
