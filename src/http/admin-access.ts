/**
 * Who may use the admin routes (`/_gateway/…`), in every topology: loopback clients —
 * after trusted proxies, so a proxy on the same host does not make every client
 * "local" — or anyone with `Authorization: Bearer ADMIN_KEY`.
 *
 * "Loopback" also means the request was *addressed* to the loopback: a Host of
 * localhost / 127.x / [::1], and no Origin other than such a host. Otherwise a web page
 * open in a browser on the same machine could drain nodes with a cross-site POST (its
 * Origin is the page's), or through DNS rebinding (its Host is the attacker's name
 * resolving to 127.0.0.1). Such requests need the admin key like remote ones.
 */
import { bearerToken, isAdminKey } from '../core/admin-key.js';

export const ADMIN_PREFIX = '/_gateway';

export const ADMIN_ACCESS_MESSAGE =
  '/_gateway/ is answered to loopback clients addressing a loopback host (no foreign Origin), or with Authorization: Bearer ADMIN_KEY';

export interface AdminRequest {
  /** The client's address, after trusted proxies. */
  client: string;
  host: string | undefined;
  origin: string | undefined;
  authorization: string | undefined;
}

export function mayAdminister(r: AdminRequest, adminKey: string | undefined): boolean {
  const local = isLoopbackIp(r.client) && isLoopbackHost(r.host) && (r.origin === undefined || isLoopbackOrigin(r.origin));
  return local || isAdminKey(bearerToken(r.authorization), adminKey);
}

export function isAdminPath(url: string): boolean {
  return url.startsWith(ADMIN_PREFIX) && (url.length === ADMIN_PREFIX.length || '/?'.includes(url[ADMIN_PREFIX.length]!));
}

export function isLoopbackIp(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/** localhost, 127.x.y.z or [::1], with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return name.toLowerCase() === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHost(new URL(origin).host);
  } catch {
    return false; // "null" (a sandboxed page, a file://) or garbage: not ours
  }
}
