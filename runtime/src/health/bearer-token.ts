/**
 * The bearer-token check of `/health/diagnostics`. Both sides are hashed with
 * SHA-256 first, so `timingSafeEqual` always compares 32 bytes and the time
 * taken says nothing about the token's length or content.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** `Authorization` scheme (case-insensitive, RFC 7235), one or more spaces, then the credentials. */
const BEARER = /^bearer +(.*)$/i;

/** A verifier for one configured token; `undefined` or empty closes diagnostics to everyone. */
export function createBearerVerifier(
  configuredToken: string | undefined,
): (authorization: string | undefined) => boolean {
  if (configuredToken === undefined || configuredToken === '') return () => false;
  const expected = digest(configuredToken);
  return (authorization) => {
    if (authorization === undefined) return false;
    const match = BEARER.exec(authorization);
    const presented = match?.[1];
    if (presented === undefined || presented === '') return false;
    return timingSafeEqual(digest(presented), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
