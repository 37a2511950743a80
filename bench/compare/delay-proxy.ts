/**
 * The slow node of scenario 4, the same for every system: a TCP proxy in front of one
 * backend that holds every chunk coming back from it for DELAY ms before passing it on
 * (requests go through at once). With keep-alive that adds DELAY to each answer; a new
 * connection costs nothing extra to open. This kernel has no netem qdisc, and a proxy
 * works the same for nginx+PHP, kv.js and a Miniscale node, which is the point.
 *
 * Run as its own process (so its CPU is not any system's):
 *   node --import tsx bench/compare/delay-proxy.ts LISTEN_PORT TARGET_PORT DELAY_MS
 * It prints one line `{"event":"listening","port":N}` when ready.
 */
import net from 'node:net';

const [listenPort, targetPort, delayMs] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(targetPort) || !Number.isFinite(delayMs)) {
  console.error('usage: delay-proxy.ts LISTEN_PORT TARGET_PORT DELAY_MS');
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort! });
  client.pipe(upstream);
  // Every chunk waits the same DELAY: timers of equal duration fire in the order they were
  // set, so the byte stream keeps its order.
  upstream.on('data', (chunk: Buffer) => {
    setTimeout(() => { if (!client.destroyed) client.write(chunk); }, delayMs);
  });
  upstream.on('end', () => setTimeout(() => client.end(), delayMs));
  const drop = () => { client.destroy(); upstream.destroy(); };
  upstream.on('error', drop);
  client.on('error', drop);
  client.on('close', () => upstream.destroy());
});
server.listen(listenPort, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'listening', port: listenPort }));
});
process.on('SIGTERM', () => process.exit(0));
