/**
 * A network namespace joined to the host by a veth pair, for partitions between one
 * API node and Redis. tc's netem and prio qdiscs are not available in this kernel, so
 * a partition is a blackhole route: the namespace's packets to Redis's address are
 * dropped silently (no RST, no ICMP), exactly what a cut cable or a dead switch port
 * looks like to TCP. Addresses, all on one /24:
 *   .1 host side, what the gateway connects from   .2 inside the namespace (the node)
 *   .3 host side too, the only address Redis is reached on from the namespace
 * Everything is created by this process and removed in `remove()` (deleting the
 * namespace deletes its end of the veth, which deletes the pair).
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

export interface Netns {
  name: string;
  hostIf: string;
  /** The node's address inside the namespace. */
  innerIp: string;
  /** The host's address the gateway reaches the node from. */
  hostIp: string;
  /** The host address Redis binds for the namespace. */
  redisIp: string;
  /** Argument prefix to run a program inside the namespace. */
  exec: string[];
  partition(): void;
  heal(): void;
  /** Idempotent; safe when creation failed half-way. */
  remove(): void;
}

const live = new Set<Netns>();
process.on('exit', () => {
  for (const ns of live) ns.remove();
});

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function listNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

export function listLinks(): string[] {
  return execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean);
}

export function createNetns(): Netns {
  const tag = `${process.pid % 10_000}${randomInt(100)}`;
  const net = `10.231.${randomInt(1, 250)}`;
  const ns: Netns = {
    name: `msf-${tag}`,
    hostIf: `msfh${tag}`,
    innerIp: `${net}.2`,
    hostIp: `${net}.1`,
    redisIp: `${net}.3`,
    exec: ['ip', 'netns', 'exec', `msf-${tag}`],
    partition: () => ip('-n', ns.name, 'route', 'add', 'blackhole', `${ns.redisIp}/32`),
    heal: () => ip('-n', ns.name, 'route', 'del', 'blackhole', `${ns.redisIp}/32`),
    remove: () => {
      for (const args of [
        ['link', 'del', ns.hostIf],
        ['netns', 'del', ns.name],
      ]) {
        try {
          ip(...args);
        } catch {
          /* not there (any more) */
        }
      }
      live.delete(ns);
    },
  };
  live.add(ns);
  const innerIf = `msfn${tag}`;
  try {
    ip('netns', 'add', ns.name);
    ip('link', 'add', ns.hostIf, 'type', 'veth', 'peer', 'name', innerIf);
    ip('link', 'set', innerIf, 'netns', ns.name);
    ip('addr', 'add', `${ns.hostIp}/24`, 'dev', ns.hostIf);
    ip('addr', 'add', `${ns.redisIp}/24`, 'dev', ns.hostIf);
    ip('link', 'set', ns.hostIf, 'up');
    ip('-n', ns.name, 'addr', 'add', `${ns.innerIp}/24`, 'dev', innerIf);
    ip('-n', ns.name, 'link', 'set', innerIf, 'up');
    ip('-n', ns.name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    ns.remove();
    throw new Error(`creating network namespace ${ns.name}: ${(err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message}`);
  }
  return ns;
}
