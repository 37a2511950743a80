import net from 'node:net';

/** Resolves true when nothing listens on 127.0.0.1:port and we may bind it. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now on `host` (it may be taken by the time it is used; callers retry). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A base port such that base…base+count-1 and, when `busOffset` is given, the same
 * range shifted by it (Redis Cluster's bus ports are port+10000) are all free.
 */
export async function freePortRange(count: number, busOffset = 0, from = 20000, to = 50000): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (busOffset) ports.push(...ports.map((p) => p + busOffset));
    const free = await Promise.all(ports.map(isPortFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free range of ${count} ports found`);
}
