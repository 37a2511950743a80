/**
 * The messages between a supervising primary and its node:cluster workers (fleet.ts
 * and link.ts), over cluster's IPC channel. Every message carries `ms` (for Miniscale)
 * so it is never confused with cluster's own messages or prom-client's, which share
 * the channel. What an `op` means is up to the program on each side (the gateway's
 * workers, `up`'s API node workers); this layer only carries it.
 *
 * - A worker that serves says `ready` (with what the primary should know of it) and
 *   then `beat`s every HEARTBEAT_MS, so a stuck event loop shows as missed beats. A
 *   beat may carry the worker's `report` (its cumulative counters, for the console):
 *   the primary keeps the latest, so the console costs no extra round trip.
 * - A worker `ask`s the primary for what only all workers together know; the primary
 *   `answer`s.
 * - The primary sends a worker a `local` op; it answers with `local-answer` (id 0:
 *   no answer wanted).
 */

/** How often a worker says it is alive. */
export const HEARTBEAT_MS = 500;

export type ToPrimary =
  | { ms: 'ready'; info: unknown }
  | { ms: 'beat'; report?: unknown }
  | { ms: 'ask'; id: number; op: unknown }
  | { ms: 'local-answer'; id: number; result: unknown };

export type ToWorker =
  | { ms: 'answer'; id: number; ok: true; result: unknown }
  | { ms: 'answer'; id: number; ok: false; error: string }
  | { ms: 'local'; id: number; op: unknown };

const TO_PRIMARY = new Set(['ready', 'beat', 'ask', 'local-answer']);
const TO_WORKER = new Set(['answer', 'local']);

export function isToPrimary(m: unknown): m is ToPrimary {
  return typeof m === 'object' && m !== null && TO_PRIMARY.has((m as { ms?: unknown }).ms as string);
}

export function isToWorker(m: unknown): m is ToWorker {
  return typeof m === 'object' && m !== null && TO_WORKER.has((m as { ms?: unknown }).ms as string);
}
