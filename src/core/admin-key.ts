/**
 * Admin authorization shared by the gateway and the API node: `Authorization: Bearer
 * ADMIN_KEY`. Compared in constant time over SHA-256 digests, so neither the content
 * nor the length of the key leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The shortest admin key the gateway, the nodes and `up` accept: a shorter one could be
 * guessed through the API. Each caller says in its own words where the key came from.
 */
export const MIN_ADMIN_KEY_LENGTH = 16;

export function isLongEnoughAdminKey(key: string): boolean {
  return key.length >= MIN_ADMIN_KEY_LENGTH;
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

export function isAdminKey(candidate: string | undefined, adminKey: string | undefined): boolean {
  if (!candidate || !adminKey) return false;
  const a = createHash('sha256').update(candidate).digest();
  const b = createHash('sha256').update(adminKey).digest();
  return timingSafeEqual(a, b);
}
