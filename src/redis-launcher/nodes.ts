/**
 * The redis-server processes of a local Redis Cluster: checking their ports, starting
 * them detached (they outlive the CLI), and recognising them later by PID. Starting
 * is all-or-nothing, so a failed start never leaves half the nodes running.
 */
import { PortInUseError } from '../core/errors.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLUSTER_BUS_OFFSET } from './options.js';
import { isPortFree } from '../core/ports.js';
import { isAlive, startRedisServer, type RedisServerProcess } from './redis-server.js';

/** A node that failed to start takes the others down with it; they are fresh, so this is quick. */
const ABORT_STOP_GRACE_MS = 2_000;

/**
 * True when PID is alive and is a redis-server for this port. A PID from an old manifest
 * may have been reused by an unrelated process after a reboot; that one must not be
 * signalled. redis-server rewrites its title to "redis-server 127.0.0.1:PORT [cluster]";
 * before it does, the command line still names DIR/PORT/redis.conf.
 */
export function isClusterNodeProcess(pid: number, port: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  if (cmd === null || !/(^|\/)redis-server(\s|$)/.test(cmd)) return false;
  return new RegExp(`:${port}(\\s|$)`).test(cmd) || cmd.includes(path.join(dir, String(port), 'redis.conf'));
}

/** The command line of PID, or null when it cannot be read (gone, or not ours to see). */
export function commandLine(pid: number): string | null {
  if (existsSync('/proc/self/cmdline')) {
    try {
      // A zombie has an empty command line, which correctly fails the checks above.
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return null;
    }
  }
  try {
    // No procfs (macOS, BSD): ask ps for the same information.
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/**
 * Throws PortInUseError for the first client or bus port that is taken. Checked before
 * starting anything, so a clash is one error naming the port rather than a node that
 * exits during start-up with the reason only in its redis.log.
 */
export async function assertPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    if (!(await isPortFree(port))) {
      throw new PortInUseError(
        port,
        `port ${port} is already in use; pick another --port (Redis Cluster needs ${ports[0]}-${ports.at(-1)} and their bus ports +${CLUSTER_BUS_OFFSET})`,
      );
    }
    const bus = port + CLUSTER_BUS_OFFSET;
    if (!(await isPortFree(bus))) {
      throw new PortInUseError(bus, `port ${bus} (cluster bus of ${port}) is already in use; pick another --port`);
    }
  }
}

/** Starts one cluster-enabled node per port in DIR/<port>/; all start or none stays up. */
export async function startNodes(dir: string, ports: number[], nodeTimeoutMs: number): Promise<RedisServerProcess[]> {
  const results = await Promise.allSettled(ports.map((port) => startNode(dir, port, nodeTimeoutMs)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((s) => s.stop(ABORT_STOP_GRACE_MS)));
    throw failure.reason;
  }
  return started;
}

function startNode(dir: string, port: number, nodeTimeoutMs: number): Promise<RedisServerProcess> {
  return startRedisServer({
    port,
    dir: path.join(dir, String(port)),
    detached: true,
    config: {
      'cluster-enabled': 'yes',
      'cluster-config-file': 'nodes.conf',
      'cluster-node-timeout': String(nodeTimeoutMs),
      appendonly: 'yes',
      // Redis waits 5 s by default before a diskless full sync, to batch replicas;
      // a fresh local cluster has nothing to batch and should be redundant at once.
      'repl-diskless-sync-delay': '0',
    },
  });
}
