import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** A test-made signing key and its public JWKS (the tests never use a key they did not make). */
export interface TestIssuer {
  readonly issuer: string;
  readonly jwks: string;
  sign(claims: Record<string, unknown>, options?: { expiresInSeconds?: number; audience?: readonly string[] }): Promise<string>;
}

export async function testIssuer(issuer: string, kid = 'test-key'): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    issuer,
    jwks: JSON.stringify({ keys: [jwk] }),
    async sign(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(issuer)
        .setIssuedAt(now - 600).setExpirationTime(now + (options.expiresInSeconds ?? 3600));
      if (options.audience && options.audience.length > 0) jwt.setAudience([...options.audience]);
      return jwt.sign(privateKey);
    },
  };
}
