/**
 * Hop-by-hop headers describe one connection, not the message, so a proxy must not
 * forward them (RFC 9110 §7.6.1): the fixed list below, plus every header the sender
 * names in its own `Connection` header — which nginx forwards and we do not, so a
 * client cannot, say, hide `X-Forwarded-For` from a node by naming it in `Connection`.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const COMMON: ReadonlySet<string> = new Set(['keep-alive', 'close', 'upgrade']);

/** Lower-cased names listed in a `Connection` header (one value or several). */
export function connectionNamed(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  // The common values name only hop-by-hop headers already stripped: skip the parsing.
  if (typeof connection === 'string' && COMMON.has(connection.toLowerCase())) return undefined;
  const names = new Set<string>();
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const part of value.split(',')) {
      const name = part.trim().toLowerCase();
      if (name) names.add(name);
    }
  }
  return names;
}

/**
 * An upstream response's raw headers ([name, value, …] as undici read them) minus
 * hop-by-hop ones and `replace`'s names, as the flat list `res.writeHead` takes. A flat
 * list keeps repeated headers (Set-Cookie) and order, and costs less than building and
 * pruning an object on every response.
 */
export function responseHeaders(
  raw: ReadonlyArray<Buffer | string>,
  connection: string | string[] | undefined,
  replace: ReadonlySet<string>,
): string[] {
  const named = connectionNamed(connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || replace.has(lower) || named?.has(lower)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  return out;
}
