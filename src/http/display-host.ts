/**
 * The host to put in a URL for a server listening on `host`: a wildcard address is
 * reached on 127.0.0.1 from this machine, and an IPv6 address needs brackets.
 */
export function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
