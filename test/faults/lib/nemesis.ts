/**
 * Fault injections, each recorded in the history with when it started, when it was
 * healed and how long the system took to serve the affected operations again. Every
 * process is signalled by PID; nothing is killed by name.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultEvent, History, OpType } from './history.js';
import type { UpSystem } from './up-system.js';

export function pick<T>(items: T[]): T {
  if (items.length === 0) throw new Error('nothing to pick from');
  return items[Math.floor(Math.random() * items.length)]!;
}

/**
 * Resolves with the ms from the fault's start until an operation of one of `types`
 * that started after `afterMs` (and, when given, matches `which`) was acknowledged.
 */
export async function waitForOk(
  h: History,
  fault: FaultEvent,
  afterMs: number,
  types: OpType[],
  timeoutMs = 60_000,
  which: (worker: string) => boolean = () => true,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const op = h.ops.find((o) => o.start >= afterMs && o.status === 'ok' && types.includes(o.type) && which(o.worker));
    if (op) return op.end - fault.start;
    if (Date.now() > deadline) throw new Error(`${fault.kind}: no acknowledged ${types.join('/')} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** SIGKILL of one random API node; done when the supervisor has replaced it. */
export async function killRandomNode(h: History, sys: UpSystem): Promise<number> {
  const pids = sys.nodePids();
  const victim = pick(pids);
  const fault = h.fault('kill-node', `SIGKILL node PID ${victim}`, true);
  // The gateway routes around a dead node at once: the outage is the kill itself (plus
  // the grace), not the supervisor's restart, which is recorded as the recovery time.
  fault.excludeUntil = fault.start;
  process.kill(victim, 'SIGKILL');
  await sys.waitForNodes(pids.length, [victim]);
  fault.end = h.now();
  fault.recoveredMs = fault.end - fault.start;
  return victim;
}

/**
 * SIGSTOP of one node for `ms` (longer than the gateway's health timeout), then SIGCONT.
 * Not a kill: the gateway must route around it, so GETs stay in the availability figure.
 */
export async function pauseRandomNode(h: History, sys: UpSystem, ms: number): Promise<number> {
  const victim = pick(sys.nodePids());
  const fault = h.fault('pause-node', `SIGSTOP node PID ${victim} for ${ms} ms`, false);
  process.kill(victim, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(victim, 'SIGCONT');
  }
  fault.end = h.now();
  return victim;
}

/** SIGKILL of `up` and all its nodes, then `up` again on the same data directory. */
export async function killAndRestartUp(h: History, sys: UpSystem, downMs = 500): Promise<void> {
  const fault = h.fault('kill-up-tree', 'SIGKILL up and every node, restart on the same data', true);
  await sys.killTree();
  await sleep(downMs);
  await sys.start();
  fault.end = h.now();
  fault.recoveredMs = await waitForOk(h, fault, fault.end, ['put', 'incr']);
}
