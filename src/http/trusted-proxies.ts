/**
 * Which peers may speak for a client: an API node believes `X-Forwarded-For`,
 * `X-Request-Id` and `X-Request-Deadline` only from these (MINISCALE_TRUST_PROXY).
 * The list is Fastify's `trustProxy` syntax — comma-separated addresses, CIDRs
 * (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`) and the names `loopback`, `linklocal`,
 * `uniquelocal` — and the empty list (or `none`) trusts no one: what a node taking
 * client connections itself must say. One compiled check serves Fastify (passed as a
 * function) and the node's own hooks, so they can never disagree.
 *
 * Leaf module: imports nothing of the project.
 */
import net from 'node:net';

const NAMED: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

export class TrustedProxies {
  readonly #list = new net.BlockList();
  /** True when no one is trusted. */
  readonly none: boolean;

  /** @throws Error naming the first entry that is not an address, CIDR or known name. */
  constructor(spec: string) {
    const entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s.toLowerCase() !== 'none');
    this.none = entries.length === 0;
    for (const entry of entries) {
      for (const range of NAMED[entry.toLowerCase()] ?? [entry]) this.#add(range, entry);
    }
  }

  trusts(address: string | undefined): boolean {
    if (this.none || address === undefined) return false;
    const family = net.isIP(address);
    return family !== 0 && this.#list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }

  #add(range: string, given: string): void {
    const slash = range.indexOf('/');
    const address = slash === -1 ? range : range.slice(0, slash);
    const family = net.isIP(address);
    if (family === 0) throw new Error(`"${given}" is not an IP address, a CIDR or one of ${Object.keys(NAMED).join(', ')}`);
    const max = family === 6 ? 128 : 32;
    const bits = slash === -1 ? max : prefixLength(range.slice(slash + 1), family);
    if (bits === undefined || bits < 0 || bits > max) throw new Error(`"${given}" has a bad prefix length or netmask`);
    this.#list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `24` → 24; an IPv4 netmask `255.255.255.0` → 24 (contiguous masks only). */
function prefixLength(text: string, family: number): number | undefined {
  if (/^\d{1,3}$/.test(text)) return Number(text);
  if (family !== 4 || net.isIPv4(text) === false) return undefined;
  const mask = text.split('.').reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
  const bits = 32 - Math.log2((~mask >>> 0) + 1);
  return Number.isInteger(bits) ? bits : undefined;
}
