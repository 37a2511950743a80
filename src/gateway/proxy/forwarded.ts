/**
 * Who the client is. `X-Forwarded-For` is whatever the client wants it to be, so it is
 * believed only when the peer is a configured proxy (`--trust-proxy CIDR`): then the
 * peer is appended, and the client is the rightmost address that is not a trusted
 * proxy (reading right to left, as each proxy appended its own peer). From anyone else
 * the header is replaced by the peer address. The trust list is the API node's
 * (src/http/trusted-proxies.ts), so a node and a gateway read `--trust-proxy` alike.
 */
import net from 'node:net';
import type { TrustedProxies } from '../../http/trusted-proxies.js';

export interface ClientAddress {
  /** The TCP peer, IPv4-mapped IPv6 turned back into IPv4. */
  peer: string;
  /** The original client, after trusted proxies. */
  client: string;
  /** The X-Forwarded-For to send upstream. */
  forwardedFor: string;
  peerTrusted: boolean;
}

export function resolveClient(
  remoteAddress: string | undefined,
  xff: string | string[] | undefined,
  trusted: TrustedProxies,
): ClientAddress {
  const peer = normalizeIp(remoteAddress ?? '');
  if (!trusted.trusts(peer)) return { peer, client: peer, forwardedFor: peer, peerTrusted: false };
  const given = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let client = peer;
  for (let i = given.length - 1; i >= 0; i--) {
    const hop = normalizeIp(given[i]!);
    if (net.isIP(hop) === 0) break; // garbage: stop believing anything further left
    client = hop;
    if (!trusted.trusts(hop)) break;
  }
  return { peer, client, forwardedFor: given.length ? `${given.join(', ')}, ${peer}` : peer, peerTrusted: true };
}

export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}
