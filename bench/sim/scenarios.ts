/**
 * The nemesis: one scenario at a time, under the same load (test/faults' workload and
 * op log, through the gateway host). Each returns when the system is whole again — a
 * killed host back, a cut link healed — so the next scenario starts from a full
 * deployment. Every process is signalled by PID: a host's are the ones `ip netns pids`
 * lists for its namespace.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { History } from '../../test/faults/lib/history.js';
import { stopAppMachine, type AppMachine, type GatewayMachine } from './machines.js';
import type { Host } from './network.js';
import type { SimRedisCluster } from './redis-cluster.js';

export const SCENARIOS = ['steady', 'add-host', 'drain-host', 'kill-host', 'partition-host'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Deployment {
  /** The hosts holding the Redis Cluster and an app machine each. */
  appHosts: Host[];
  /** A host with nothing on it until add-host starts an app machine there. */
  spareHost: Host;
  redis: SimRedisCluster;
  gateway: GatewayMachine;
  /** Running app machines, by host name. */
  machines: Map<string, AppMachine>;
  startMachine(host: Host): Promise<AppMachine>;
  /** How long a fault lasts (a host down, a link cut), and how long steady runs. */
  faultMs: number;
}

export async function runNemesis(name: ScenarioName, d: Deployment, h: History): Promise<void> {
  switch (name) {
    case 'steady':
      return void (await sleep(d.faultMs));
    case 'add-host':
      return addHost(d, h);
    case 'drain-host':
      return drainHost(d, h);
    case 'kill-host':
      return killHost(d, h);
    case 'partition-host':
      return partitionHost(d, h);
  }
}

/** drain-host needs the spare host's machine: started before its load when add-host did not. */
export async function prepare(name: ScenarioName, d: Deployment): Promise<void> {
  if (name === 'drain-host' && !d.machines.has(d.spareHost.name)) {
    await d.startMachine(d.spareHost);
    await until('the gateway sends the spare host requests', async () => ((await row(d, d.spareHost))?.requests ?? 0) > 0, 20_000);
  }
}

async function row(d: Deployment, host: Host) {
  return (await d.gateway.upstreams()).find((u) => new URL(u.url).hostname === host.ip);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - t0;
    } catch {
      // the gateway is busy; ask again
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function addHost(d: Deployment, h: History): Promise<void> {
  const fault = h.fault('add-host', `miniscale up --advertise on ${d.spareHost.name} (${d.spareHost.ip})`, false);
  await d.startMachine(d.spareHost);
  await until('the gateway sends the new host requests', async () => ((await row(d, d.spareHost))?.requests ?? 0) > 20, 30_000);
  fault.end = h.now();
  await sleep(Math.max(0, d.faultMs - (fault.end - fault.start)));
}

/** Drained through the gateway's admin API, then stopped once nothing is in flight there. */
async function drainHost(d: Deployment, h: History): Promise<void> {
  const machine = d.machines.get(d.spareHost.name)!;
  const fault = h.fault('drain-host', `drain ${machine.url} at the gateway, then SIGTERM its miniscale up`, false);
  await d.gateway.drain(new URL(machine.url).host);
  await until('its in-flight requests finish', async () => (await row(d, d.spareHost))?.inflight === 0, 30_000);
  await stopAppMachine(machine);
  d.machines.delete(d.spareHost.name);
  await until('the gateway forgets it', async () => !(await row(d, d.spareHost)), 30_000);
  fault.end = h.now();
  await sleep(Math.max(0, d.faultMs - (fault.end - fault.start)));
}

/** Every process of the first app host SIGKILLed; after the fault, the host "reboots". */
async function killHost(d: Deployment, h: History): Promise<void> {
  const victim = d.appHosts[0]!;
  const pids = victim.pids();
  h.fault('kill-host', `SIGKILL every process of ${victim.name} (${pids.length}: miniscale up, its workers, its Redis servers)`, true);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  d.machines.delete(victim.name);
  await sleep(d.faultMs);
  await bringBack(d, victim);
  h.faults.at(-1)!.end = h.now();
}

/** The first app host's cable pulled for the fault's length, then plugged back. */
async function partitionHost(d: Deployment, h: History): Promise<void> {
  const victim = d.appHosts[0]!;
  const fault = h.fault('partition-host', `${victim.name} cut off from every other host for ${d.faultMs} ms`, true);
  victim.cut();
  try {
    await sleep(d.faultMs);
  } finally {
    victim.heal();
  }
  await d.redis.waitWhole(60_000);
  await until(
    `the gateway has ${victim.name} back`,
    async () => ['healthy', 'slow-start'].includes((await row(d, victim))?.state ?? ''),
    60_000,
  );
  fault.end = h.now();
}

async function bringBack(d: Deployment, host: Host): Promise<void> {
  await d.redis.restartHost(host.name);
  await d.redis.waitWhole(60_000);
  await d.startMachine(host);
  await until(
    `the gateway has ${host.name} back`,
    async () => ['healthy', 'slow-start'].includes((await row(d, host))?.state ?? ''),
    60_000,
  );
}
