import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { ConfigError, loadAuthConfig } from './auth-config.js';
import { Tokens } from './tokens.js';

const claims = { subject: 'li.wei', departmentCode: 'chaoyang-civil-affairs-bureau', roles: ['MEMBER' as const] };

const pemPair = (type: 'rsa' | 'ec') => {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    JWT_PUBLIC_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
};

describe('tokens', () => {
  it.each([
    ['HS256', { JWT_SECRET: 'x'.repeat(32) }],
    ['RS256', pemPair('rsa')],
    ['ES256', pemPair('ec')],
  ])('%s: minted tokens verify; a verifier without the private key still verifies', async (algorithm, keys) => {
    const tokens = new Tokens(loadAuthConfig({ JWT_ALGORITHM: algorithm, ...keys }));
    const token = await tokens.mint(claims);
    await expect(tokens.verify(`Bearer ${token}`)).resolves.toEqual(claims);
    if (algorithm !== 'HS256') {
      const verifierOnly = new Tokens(
        loadAuthConfig({ JWT_ALGORITHM: algorithm, JWT_PUBLIC_KEY: (keys as Record<string, string>).JWT_PUBLIC_KEY }),
      );
      await expect(verifierOnly.verify(`Bearer ${token}`)).resolves.toEqual(claims);
      await expect(verifierOnly.mint(claims)).rejects.toThrow(/no signing key/);
    }
  });

  describe('refuses a token of another algorithm, issuer or audience', () => {
    const secret = { JWT_SECRET: 'x'.repeat(32) };
    const verifier = new Tokens(loadAuthConfig(secret));

    it.each<[string, () => Tokens]>([
      ['another issuer', () => new Tokens(loadAuthConfig({ ...secret, JWT_ISSUER: 'someone-else' }))],
      ['another audience', () => new Tokens(loadAuthConfig({ ...secret, JWT_AUDIENCE: 'someone-else' }))],
      ['another algorithm (ES256)', () => new Tokens(loadAuthConfig({ JWT_ALGORITHM: 'ES256', ...pemPair('ec') }))],
    ])('%s', async (_name, minter) => {
      // The same key and claims from the verifier's own configuration pass: only the difference is refused.
      await expect(verifier.verify(`Bearer ${await verifier.mint(claims)}`)).resolves.toEqual(claims);
      await expect(verifier.verify(`Bearer ${await minter().mint(claims)}`)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'the token is not valid',
      });
    });

    it('another algorithm with the same secret (HS384)', async () => {
      const token = await new SignJWT({ dept: claims.departmentCode, roles: claims.roles })
        .setProtectedHeader({ alg: 'HS384' })
        .setSubject(claims.subject)
        .setIssuer('district-data-exchange')
        .setAudience('district-data-exchange')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret.JWT_SECRET));
      await expect(verifier.verify(`Bearer ${token}`)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'the token is not valid',
      });
    });

    it('a verifier configured for another issuer refuses ours', async () => {
      const elsewhere = new Tokens(loadAuthConfig({ ...secret, JWT_ISSUER: 'another-city' }));
      await expect(elsewhere.verify(`Bearer ${await verifier.mint(claims)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });

  it('a token remembered as verified is refused once it expires', async () => {
    const tokens = new Tokens(loadAuthConfig({ JWT_SECRET: 'x'.repeat(32) }));
    const token = `Bearer ${await tokens.mint(claims, '2s')}`;
    expect(await tokens.verify(token)).toEqual(claims);
    expect(await tokens.verify(token)).toEqual(claims);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'the token has expired' });
  });

  it.each([
    [{ JWT_SECRET: 'too short' }, /at least 32 bytes/],
    [{ JWT_ALGORITHM: 'none', JWT_SECRET: 'x'.repeat(32) }, /HS256, RS256 or ES256/],
    [{ JWT_ALGORITHM: 'RS256' }, /JWT_PUBLIC_KEY/],
    [{ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: 'not a key' }, /not a readable PEM key/],
    [{ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY: pemPair('ec').JWT_PUBLIC_KEY }, /not an RSA key/],
  ])('a bad configuration is one clear ConfigError: %j', (env, message) => {
    expect(() => loadAuthConfig(env)).toThrow(ConfigError);
    expect(() => loadAuthConfig(env)).toThrow(message);
  });
});
