/**
 * One scenario's row, from its op log and the checker's verdict (test/faults): what
 * clients asked, what failed, what was acknowledged and lost, and how long clients saw
 * errors — judged against the targets of each kind of scenario.
 */
import type { Verdict } from '../../test/faults/lib/checker.js';
import type { History, Op } from '../../test/faults/lib/history.js';

export interface ScenarioRow {
  name: string;
  /** Client operations (a compare-and-set counts once: its read and its write are one operation). */
  requests: number;
  /** Operations not acknowledged: errors, timeouts, 5xx. A lost compare-and-set race (412) is an answer, not a failure. */
  failed: number;
  /** Writes (put, compare-and-set, increment) a client was told succeeded. */
  ackedWrites: number;
  /** Acknowledged writes missing from the final state or read stale, and counter increments lost. */
  ackedWritesLost: number;
  /** From the fault until the last failed operation ended; 0 when nothing failed. */
  recoverySeconds: number;
  /** Values nobody wrote (must be 0). */
  phantoms: number;
  /** Targets missed, in words; empty when the row meets them. */
  missed: string[];
}

export const WRITE_TYPES: readonly Op['type'][] = ['put', 'cas', 'incr'];

/** Scenarios in which no request may fail; the others may fail this share, and recover within this. */
export const NO_FAILURE_SCENARIOS: readonly string[] = ['steady', 'add-host', 'drain-host'];
export const MAX_FAILED_SHARE = 0.01;
export const MAX_RECOVERY_SECONDS = 15;

export function isFailure(op: Op): boolean {
  return op.status !== 'ok' && op.error !== 'VERSION_CONFLICT';
}

export function summarize(name: string, h: History, v: Verdict, faultStartMs: number): ScenarioRow {
  const failures = h.ops.filter(isFailure);
  const lastFailureEnd = Math.max(faultStartMs, ...failures.map((o) => o.end));
  const row: ScenarioRow = {
    name,
    requests: h.ops.length,
    failed: failures.length,
    ackedWrites: h.ops.filter((o) => o.status === 'ok' && WRITE_TYPES.includes(o.type)).length,
    ackedWritesLost: v.lost + v.staleReads + Math.max(0, v.counter.acked - v.counter.final),
    recoverySeconds: failures.length === 0 ? 0 : Math.round((lastFailureEnd - faultStartMs) / 100) / 10,
    phantoms: v.phantom,
    missed: [],
  };
  row.missed = missedTargets(row);
  return row;
}

export function missedTargets(r: ScenarioRow): string[] {
  const out: string[] = [];
  if (r.ackedWritesLost > 0) out.push(`${r.ackedWritesLost} acknowledged write(s) lost`);
  if (r.phantoms > 0) out.push(`${r.phantoms} phantom value(s)`);
  if (NO_FAILURE_SCENARIOS.includes(r.name)) {
    if (r.failed > 0) out.push(`${r.failed} failed request(s)`);
  } else {
    if (r.failed > r.requests * MAX_FAILED_SHARE)
      out.push(`${((r.failed / r.requests) * 100).toFixed(2)} % failed (over ${MAX_FAILED_SHARE * 100} %)`);
    if (r.recoverySeconds > MAX_RECOVERY_SECONDS) out.push(`recovery ${r.recoverySeconds} s (over ${MAX_RECOVERY_SECONDS} s)`);
  }
  if (r.requests < 50) out.push(`only ${r.requests} requests`);
  return out;
}
