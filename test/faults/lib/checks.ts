/**
 * "Every killed node came back": after the faults, the system is whole again — the
 * supervisor runs the configured number of nodes and the gateway has them all in
 * rotation (healthy, or ramping up in slow start after a restart).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { UpSystem } from './up-system.js';

export async function nodesBack(sys: UpSystem, count: number, timeoutMs = 20_000): Promise<string[]> {
  try {
    await sys.waitForNodes(count, [], timeoutMs);
  } catch (err) {
    return [(err as Error).message];
  }
  const deadline = Date.now() + timeoutMs;
  let states: string[] = [];
  while (Date.now() < deadline) {
    try {
      states = await sys.upstreamStates();
      if (states.length === count && states.every((s) => s === 'healthy' || s === 'slow-start')) return [];
    } catch {
      // gateway busy; try again
    }
    await sleep(200);
  }
  return [`gateway upstreams not all back in rotation: ${states.join(', ')}`];
}
