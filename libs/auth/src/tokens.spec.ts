import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadAuthConfig } from './auth-config.js';
import { Tokens } from './tokens.js';

const claims = { subject: 'li.wei', departmentCode: 'chaoyang-civil-affairs-bureau', roles: ['MEMBER' as const] };

const pemPair = (type: 'rsa' | 'ec') => {
  const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
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
      const verifierOnly = new Tokens(loadAuthConfig({ JWT_ALGORITHM: algorithm, JWT_PUBLIC_KEY: (keys as Record<string, string>).JWT_PUBLIC_KEY }));
      await expect(verifierOnly.verify(`Bearer ${token}`)).resolves.toEqual(claims);
      await expect(verifierOnly.mint(claims)).rejects.toThrow(/no signing key/);
    }
  });

  it('refuses a token of another algorithm, issuer or audience', async () => {
    const hs = new Tokens(loadAuthConfig({ JWT_SECRET: 'x'.repeat(32) }));
    const other = new Tokens(loadAuthConfig({ JWT_SECRET: 'x'.repeat(32), JWT_AUDIENCE: 'someone-else' }));
    await expect(hs.verify(`Bearer ${await other.mint(claims)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const es = new Tokens(loadAuthConfig({ JWT_ALGORITHM: 'ES256', ...pemPair('ec') }));
    await expect(hs.verify(`Bearer ${await es.mint(claims)}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
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
