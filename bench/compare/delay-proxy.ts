/**
 * The slow node of scenario 4, the same for every system: a TCP proxy in front of one
 * backend that holds every chunk coming back from it for DELAY ms before passing it on
 * (requests go through at once). With keep-alive that adds DELAY to each answer; a new
 * connection costs nothing extra to open. This kernel has no netem qdisc, and a proxy
 * works the same for nginx+PHP, kv.js and a Miniscale node, which is the point.
 *
 * It starts fast (no delay) and turns slow or fast again on a line on stdin, `slow` or
 * `fast`, answering `{"event":"delay","ms":N}` — so a system can be warmed with three
 * fast nodes and the third turn slow as a measured run starts: the run then shows what
 * a balancer does from the moment a node goes slow, not only after it has adapted.
 *
 * Run as its own process (so its CPU is not any system's):
 *   node --import tsx bench/compare/delay-proxy.ts LISTEN_PORT TARGET_PORT DELAY_MS
 * It prints one line `{"event":"listening","port":N}` when ready.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';

const [listenPort, targetPort, slowMs] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(targetPort) || !Number.isFinite(slowMs)) {
  console.error('usage: delay-proxy.ts LISTEN_PORT TARGET_PORT DELAY_MS');
  process.exit(2);
}
let delayMs = 0;

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort! });
  client.pipe(upstream);
  // One queue per connection, each chunk released at max(its arrival + DELAY, the one
  // before it): the byte stream keeps its order when the delay changes mid-connection.
  const queue: Array<{ at: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!;
      if (client.destroyed) continue;
      if (chunk === null) client.end();
      else client.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(pump, queue[0]!.at - now);
  };
  const pass = (chunk: Buffer | null) => {
    if (delayMs === 0 && queue.length === 0) {
      if (client.destroyed) return;
      if (chunk === null) client.end();
      else client.write(chunk);
      return;
    }
    const at = Math.max(performance.now() + delayMs, queue.at(-1)?.at ?? 0);
    queue.push({ at, chunk });
    timer ??= setTimeout(pump, Math.max(0, at - performance.now()));
  };
  upstream.on('data', (chunk: Buffer) => pass(chunk));
  upstream.on('end', () => pass(null));
  const drop = () => {
    clearTimeout(timer);
    client.destroy();
    upstream.destroy();
  };
  upstream.on('error', drop);
  client.on('error', drop);
  client.on('close', () => {
    clearTimeout(timer);
    upstream.destroy();
  });
});
server.listen(listenPort, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'listening', port: listenPort }));
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd !== 'slow' && cmd !== 'fast') return;
  delayMs = cmd === 'slow' ? slowMs! : 0;
  console.log(JSON.stringify({ event: 'delay', ms: delayMs }));
});
process.on('SIGTERM', () => process.exit(0));
