/**
 * The peers, started from bench/peers/seed-stack (the seed stack, vendored) on free 127.0.0.1 ports
 * (rendered by seed-config.ts):
 *   - three PHP backends, each its own nginx + php-fpm (4 children, as run.sh), each
 *     serving kv.php twice: REDIS_MODE connect and pconnect;
 *   - three naive Node + ioredis processes (node/kv.js, unchanged);
 *   - front load balancers from the seed's own templates: literal (no upstream
 *     keepalive) → connect backends = `seed-php`; keepalive → pconnect backends =
 *     `seed-php-keepalive`; keepalive → kv.js = `node-naive`.
 * Every process is started through ../support/processes.ts: its own process group,
 * stopped by PID, SIGKILLed if still running when the benchmark ends.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/core/ports.js';
import { startPeer, type Server } from '../api/processes.js';
import { SEED_STACK as SEED_DIR, startTracked, stop, tempDir } from '../support/processes.js';
import { backendFpmConf, backendNginxConf, lbNginxConf, readTemplate, type RenderVars } from './seed-config.js';
import { waitForPort, waitForPortClosed } from './ports.js';

const SEED_PORTS = [8000, 8001, 8002] as const;
/** php-fpm pm.max_children per pool: run.sh's CHILDREN default. */
const FPM_CHILDREN = 4;

/** A peer's backend that a fault scenario can kill and bring back. */
export interface Backend {
  name: string;
  /** Root PIDs of its processes (nginx master, php-fpm master; or the kv.js process). */
  pids(): number[];
  /** Port per load-balancer flavour: PHP backends have connect/pconnect, kv.js one port. */
  ports: { connect: number; pconnect: number } | { node: number };
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface LoadBalancer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

let runRoot: string | undefined;
/** One world-traversable run dir: php-fpm's and nginx's workers run as www-data. */
function runDir(name: string): string {
  if (!runRoot) {
    runRoot = tempDir('miniscale-bench-seed-');
    chmodSync(runRoot, 0o755);
  }
  const dir = path.join(runRoot, name);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  mkdirSync(path.join(dir, 'nginx-be'), { recursive: true });
  mkdirSync(path.join(dir, 'nginx-lb'), { recursive: true });
  return dir;
}

const vars = (run: string): RenderVars => ({
  run,
  app: path.join(SEED_DIR, 'app'),
  conf: path.join(SEED_DIR, 'conf'),
  children: FPM_CHILDREN,
});

function fpmBinary(): string {
  for (const bin of ['/usr/sbin/php-fpm8.2', '/usr/sbin/php-fpm8.3', '/usr/sbin/php-fpm']) if (existsSync(bin)) return bin;
  throw new Error('php-fpm is missing (apt-get install -y php-fpm php-redis)');
}

function startNginx(dir: string, conf: string, what: string): ChildProcess {
  const file = path.join(dir, `${what}.conf`);
  writeFileSync(file, conf);
  return startTracked('nginx', ['-p', `${dir}/`, '-c', file, '-e', path.join(dir, 'logs', `${what}.error.log`), '-g', 'daemon off;']);
}

/** One PHP backend of the seed: its own php-fpm pool and nginx, on connect and pconnect ports. */
export async function startPhpBackend(index: number, redisPort: number): Promise<Backend> {
  const seedPort = SEED_PORTS[index]!;
  const dir = runDir(`php-${seedPort}`);
  const ports = { connect: await freePort(), pconnect: await freePort() };
  const v = vars(dir);
  const fpmConf = path.join(dir, 'php-fpm.conf');
  writeFileSync(fpmConf, backendFpmConf(readTemplate(SEED_DIR, 'php-fpm.conf.tpl'), v, seedPort));
  const nginxConf = backendNginxConf(readTemplate(SEED_DIR, 'nginx-backends.conf.tpl'), v, { seedPort, ...ports, redis: redisPort });
  let fpm: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  const start = async () => {
    rmSync(path.join(dir, `fpm-${seedPort}.sock`), { force: true }); // a SIGKILLed php-fpm leaves it behind
    fpm = startTracked(fpmBinary(), ['-y', fpmConf, '-F']);
    await waitForFile(path.join(dir, `fpm-${seedPort}.sock`), `php-fpm ${seedPort}`);
    nginx = startNginx(dir, nginxConf, 'nginx-be');
    await waitForPort(ports.connect, `nginx backend ${seedPort}`);
    await waitForPort(ports.pconnect, `nginx backend ${seedPort}`);
  };
  await start();
  return {
    name: `php backend ${index + 1}`,
    pids: () => [fpm?.pid, nginx?.pid].filter((p): p is number => p !== undefined && p > 0),
    ports,
    kill: async () => {
      await Promise.all([stop(nginx!, 'SIGKILL'), stop(fpm!, 'SIGKILL')]);
    },
    restart: async () => {
      await waitForPortClosed(ports.connect);
      await start();
    },
  };
}

/** One naive Node + ioredis process (node/kv.js, unchanged). */
export async function startNodeBackend(index: number, redisPort: number): Promise<Backend> {
  let server: Server = await startPeer(redisPort);
  const port = Number(new URL(server.url).port);
  return {
    name: `kv.js ${index + 1}`,
    pids: () => [server.pid],
    ports: { node: port },
    kill: async () => {
      await stop(server.child!, 'SIGKILL');
    },
    restart: async () => {
      await waitForPortClosed(port);
      server = await startPeer(redisPort, { port });
    },
  };
}

export type LbFlavour = 'literal' | 'keepalive';

/** A front nginx from the seed's template over three upstream ports. */
export async function startLoadBalancer(name: string, flavour: LbFlavour, upstreams: number[]): Promise<LoadBalancer> {
  const dir = runDir(`lb-${name}`);
  const port = await freePort();
  const conf = lbNginxConf(readTemplate(SEED_DIR, `nginx-lb-${flavour}.conf.tpl`), vars(dir), upstreams, port, await freePort());
  const child = startNginx(dir, conf, 'nginx-lb');
  await waitForPort(port, `nginx load balancer ${name}`);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stop(child, 'SIGTERM') };
}

/** The port a backend serves on behind a given load balancer. */
export function backendPort(b: Backend, flavour: 'connect' | 'pconnect' | 'node'): number {
  if ('node' in b.ports) return b.ports.node;
  return flavour === 'connect' ? b.ports.connect : b.ports.pconnect;
}

async function waitForFile(file: string, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`${what} did not create ${file} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
