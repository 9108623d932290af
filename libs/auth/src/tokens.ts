import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { unauthenticated } from '@app/common';
import { isRole, type Role, type TokenClaims } from './actor.js';
import type { AuthConfig } from './auth-config.js';

/** How far ahead of this server's clock a token's iat may be (the issuer's clock may run a little fast). */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Verifies bearer tokens and, where a signing key is configured, mints them.
 * A token that verified is remembered until it expires: a client sends the
 * same token with every request, and checking its signature each time is the
 * largest cost of a request that is then refused (by the rate limit, say).
 */
export class Tokens {
  private readonly verified = new LRUCache<string, TokenClaims>({ max: 10_000 });

  constructor(private readonly config: AuthConfig) {}

  async verify(authorization: string | undefined): Promise<TokenClaims> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw unauthenticated('a bearer token is required (Authorization: Bearer <jwt>)');
    const known = this.verified.get(match[1]);
    if (known) return known;
    const { claims, expiresAt } = await this.check(match[1]);
    this.verified.set(match[1], claims, { ttl: Math.max(1, expiresAt * 1000 - Date.now()) });
    return claims;
  }

  private async check(token: string): Promise<{ claims: TokenClaims; expiresAt: number }> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.config.verifyKey, {
        algorithms: [this.config.algorithm],
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('the token has expired');
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp')
        throw unauthenticated('the token has no expiry (exp); tokens must expire');
      throw unauthenticated('the token is not valid');
    }
    // A token that lives for ever (or for a year) is a stolen credential waiting to happen.
    const from = typeof payload.iat === 'number' ? payload.iat : typeof payload.nbf === 'number' ? payload.nbf : undefined;
    if (from === undefined || typeof payload.exp !== 'number' || payload.exp - from > this.config.maxLifetimeSeconds) {
      throw unauthenticated(`the token's lifetime (exp - iat) must be given and at most ${this.config.maxLifetimeSeconds / 3600} hours`);
    }
    // Its lifetime counts from iat: one dated in the future would stretch it past the limit from now.
    if (from > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
      throw unauthenticated(`the token was issued in the future (iat more than ${CLOCK_SKEW_SECONDS} s ahead of this server's clock)`);
    }
    const roles = payload.roles;
    if (typeof payload.sub !== 'string' || typeof payload.dept !== 'string' || !Array.isArray(roles) || !roles.every(isRole)) {
      throw unauthenticated('the token lacks sub, dept or a valid roles list');
    }
    return { claims: { subject: payload.sub, departmentCode: payload.dept, roles: roles }, expiresAt: payload.exp };
  }

  async mint(claims: TokenClaims, ttl: string | number = '8h'): Promise<string> {
    if (!this.config.signKey) throw new Error('this configuration has no signing key (JWT_SECRET or JWT_PRIVATE_KEY)');
    return new SignJWT({ dept: claims.departmentCode, roles: claims.roles satisfies Role[] })
      .setProtectedHeader({ alg: this.config.algorithm })
      .setSubject(claims.subject)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt()
      .setExpirationTime(ttl)
      .sign(this.config.signKey);
  }
}
