/**
 * The simulated hosts: one network namespace per host, each joined to one bridge by a
 * veth pair, all on one /24 that exists only on this machine (no route, no NAT, no
 * physical port on the bridge: nothing leaves it). The simulation's own process stays
 * in the root namespace and reaches the hosts through the bridge's address, as a client
 * on the same LAN would.
 *
 * Every name carries a tag unique to the run, so two runs (or a run and the fault tests'
 * namespaces) never meet. Everything is removed by `remove()`, on exit, on an error and
 * on Ctrl-C; a host's processes are found through `ip netns pids`, so removing a host
 * also ends what was started in it.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

export interface HostPlan {
  /** "app1", "gw", … */
  name: string;
  namespace: string;
  /** The host's address on the simulated LAN. */
  ip: string;
  /** The veth end inside the namespace, and the one on the bridge. */
  innerIf: string;
  bridgeIf: string;
}

export interface NetworkPlan {
  tag: string;
  bridge: string;
  /** The bridge's own address: where the simulation's clients come from. */
  bridgeIp: string;
  /** `10.x.y` */
  subnet: string;
  hosts: HostPlan[];
}

/** Linux caps interface names at 15 bytes. */
const MAX_IFNAME = 15;

/** Names and addresses for `hostNames`, without touching the system. */
export function planNetwork(hostNames: string[], tag: string, subnet: string): NetworkPlan {
  if (hostNames.length > 200) throw new Error('at most 200 hosts on one /24');
  const hosts = hostNames.map((name, i): HostPlan => ({
    name,
    namespace: `mss-${tag}-${name}`,
    ip: `${subnet}.${i + 1}`,
    innerIf: `mss${tag}n${i}`,
    bridgeIf: `mss${tag}b${i}`,
  }));
  const plan = { tag, bridge: `mss${tag}br`, bridgeIp: `${subnet}.254`, subnet, hosts };
  for (const ifname of [plan.bridge, ...hosts.flatMap((h) => [h.innerIf, h.bridgeIf])]) {
    if (ifname.length > MAX_IFNAME) throw new Error(`interface name ${ifname} is over ${MAX_IFNAME} characters`);
  }
  return plan;
}

export interface Host extends HostPlan {
  /** Argument prefix that runs a program on this host. */
  exec(command: string, args: string[]): [string, string[]];
  /** Every process running on this host now. */
  pids(): number[];
  /** Takes the host's cable out of the switch: its packets are dropped silently (no RST, no ICMP). */
  cut(): void;
  /** Plugs it back in. */
  heal(): void;
}

export interface SimNetwork {
  plan: NetworkPlan;
  hosts: Map<string, Host>;
  /** Kills every process on every host and removes the namespaces, veths and bridge. Idempotent. */
  remove(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // not there (any more)
  }
}

/** A /24 in 10.0.0.0/8 that no interface of this machine is on yet. */
function freeSubnet(): string {
  const used = ip('-o', '-4', 'addr')
    .split('\n')
    .map((l) => l.split(/\s+/)[3]?.split('.').slice(0, 3).join('.'))
    .filter(Boolean);
  for (let i = 0; i < 50; i++) {
    // 10.231.* is the fault tests' (test/faults/lib/netns.ts), which may run meanwhile.
    const subnet = `10.${randomInt(200, 230)}.${randomInt(1, 250)}`;
    if (!used.includes(subnet)) return subnet;
  }
  throw new Error('no free 10.x.y.0/24 found for the simulated network');
}

export function createNetwork(hostNames: string[]): SimNetwork {
  const tag = `${process.pid % 1000}${randomInt(10)}`;
  const plan = planNetwork(hostNames, tag, freeSubnet());
  const hosts = new Map<string, Host>();
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    for (const h of plan.hosts) {
      for (const pid of hostPids(h.namespace)) quietly(() => process.kill(pid, 'SIGKILL'));
      quietly(() => ip('link', 'del', h.bridgeIf));
      quietly(() => ip('netns', 'del', h.namespace));
    }
    quietly(() => ip('link', 'del', plan.bridge));
    process.off('exit', remove);
  };
  process.on('exit', remove);
  try {
    ip('link', 'add', plan.bridge, 'type', 'bridge');
    ip('addr', 'add', `${plan.bridgeIp}/24`, 'dev', plan.bridge);
    ip('link', 'set', plan.bridge, 'up');
    for (const h of plan.hosts) {
      ip('netns', 'add', h.namespace);
      ip('link', 'add', h.bridgeIf, 'type', 'veth', 'peer', 'name', h.innerIf);
      ip('link', 'set', h.innerIf, 'netns', h.namespace);
      ip('link', 'set', h.bridgeIf, 'master', plan.bridge);
      ip('link', 'set', h.bridgeIf, 'up');
      ip('-n', h.namespace, 'addr', 'add', `${h.ip}/24`, 'dev', h.innerIf);
      ip('-n', h.namespace, 'link', 'set', h.innerIf, 'up');
      ip('-n', h.namespace, 'link', 'set', 'lo', 'up');
      hosts.set(h.name, {
        ...h,
        exec: (command, args) => ['ip', ['netns', 'exec', h.namespace, command, ...args]],
        pids: () => hostPids(h.namespace),
        cut: () => ip('link', 'set', h.bridgeIf, 'nomaster'),
        heal: () => ip('link', 'set', h.bridgeIf, 'master', plan.bridge),
      });
    }
  } catch (err) {
    remove();
    throw new Error(`creating the simulated network: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  return { plan, hosts, remove };
}

function hostPids(namespace: string): number[] {
  try {
    return ip('netns', 'pids', namespace)
      .split('\n')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}
