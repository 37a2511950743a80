/**
 * Judges a history against the final state, as Jepsen's checkers do: it never trusts
 * what the system says about itself, only what clients were told and what they read.
 *
 * - Registers: each worker writes 1, 2, 3, … to its own key, one write at a time, so a
 *   bigger value is a later write. The final value must be the last ok write or a later
 *   unknown one: anything smaller is an acknowledged write LOST; a value never written
 *   is a PHANTOM. A read that started after an ok write finished and returned an older
 *   value is a STALE read (an acknowledged write lost, at least for a while, or an old
 *   unknown write applied late, over it).
 * - CAS lists: every id an ok CAS appended must be in the final list (else lost); every
 *   id in it must come from an attempted CAS (else phantom); none twice.
 * - Counter: acked ≤ final ≤ acked + unknown (increments are never retried once sent).
 * - Availability: GETs that did not overlap a kill window, answered 200/404.
 */
import type { FaultEvent, History, Op } from './history.js';
import type { FinalState } from './workload.js';

/** After a kill, this long is still "the kill window" (detection, restart, re-routing). */
export const KILL_WINDOW_GRACE_MS = 2_000;

export interface Verdict {
  ops: number;
  ok: number;
  fail: number;
  unknown: number;
  /** Acknowledged writes (register or CAS) missing from the final state. */
  lost: number;
  /** Values present that no client ever tried to write. */
  phantom: number;
  staleReads: number;
  counter: { acked: number; unknown: number; final: number; ok: boolean };
  gets: { counted: number; ok: number; availability: number };
  /** Definite failures that no fault explains (e.g. 401: a session lost), as "op error×n". */
  unexpectedFailures: string[];
  /** Human-readable descriptions of every anomaly (empty when clean). */
  anomalies: string[];
  /** Slowest recovery per fault kind, ms. */
  recoveryMs: Record<string, number>;
}

export function check(history: History, final: FinalState): Verdict {
  const ops = history.ops;
  const anomalies: string[] = [];
  let lost = 0;
  let phantom = 0;
  let staleReads = 0;

  const byWorker = new Map<string, Op[]>();
  for (const op of ops) {
    if (op.type !== 'put' && op.type !== 'get') continue;
    const list = byWorker.get(op.worker) ?? [];
    list.push(op);
    byWorker.set(op.worker, list);
  }
  for (const [worker, list] of byWorker) {
    const puts = list.filter((o) => o.type === 'put');
    const attempted = new Set(puts.filter((o) => o.status !== 'fail').map((o) => o.value!));
    const lastOk = Math.max(0, ...puts.filter((o) => o.status === 'ok').map((o) => o.value!));
    const value = final.registers.get(worker) ?? null;
    if (value !== null && !attempted.has(value)) {
      phantom++;
      anomalies.push(`${worker}: final value ${value} was never written`);
    } else if ((value ?? 0) < lastOk) {
      lost++;
      anomalies.push(`${worker}: final value ${value} is older than the last acknowledged write ${lastOk}`);
    }
    // Reads: the newest ok write that had finished before the read started.
    let okBefore = 0;
    const sorted = [...list].sort((a, b) => a.start - b.start);
    const finishedOk = puts.filter((o) => o.status === 'ok').sort((a, b) => a.end - b.end);
    let i = 0;
    for (const op of sorted) {
      if (op.type !== 'get' || op.status !== 'ok') continue;
      while (i < finishedOk.length && finishedOk[i]!.end <= op.start) okBefore = Math.max(okBefore, finishedOk[i++]!.value!);
      const read = op.read as number | null;
      if (read !== null && !attempted.has(read)) {
        phantom++;
        anomalies.push(`${worker}: read ${read} at ${op.start} ms, never written`);
      } else if ((read ?? 0) < okBefore) {
        staleReads++;
        anomalies.push(`${worker}: read ${read} at ${op.start} ms after write ${okBefore} was acknowledged`);
      }
    }
  }

  const casOps = ops.filter((o) => o.type === 'cas');
  for (const [user, list] of final.casLists) {
    const mine = casOps.filter((o) => o.worker.startsWith(`u${user}w`));
    const attempted = new Set(mine.filter((o) => o.status !== 'fail').map((o) => o.value!));
    const present = new Set(list);
    if (present.size !== list.length) {
      phantom++;
      anomalies.push(`user ${user}: the CAS list holds an id twice`);
    }
    for (const id of list) {
      if (!attempted.has(id)) {
        phantom++;
        anomalies.push(`user ${user}: CAS id ${id} in the list was never attempted`);
      }
    }
    for (const op of mine) {
      if (op.status === 'ok' && !present.has(op.value!)) {
        lost++;
        anomalies.push(`user ${user}: acknowledged CAS ${op.value} (at ${op.start} ms) is missing`);
      }
    }
  }

  const incr = ops.filter((o) => o.type === 'incr');
  const acked = incr.filter((o) => o.status === 'ok').length;
  const unknownIncr = incr.filter((o) => o.status === 'unknown').length;
  const counterOk = acked <= final.counter && final.counter <= acked + unknownIncr;
  if (!counterOk) anomalies.push(`counter ${final.counter} outside [${acked}, ${acked + unknownIncr}]`);

  const windows = history.faults.filter((f) => f.excludeFromAvailability);
  const counted = ops.filter((o) => o.type === 'get' && !overlapsAny(o, windows));
  const okGets = counted.filter((o) => o.status === 'ok').length;
  const recoveryMs: Record<string, number> = {};
  for (const f of history.faults) {
    if (f.recoveredMs !== undefined) recoveryMs[f.kind] = Math.max(recoveryMs[f.kind] ?? 0, f.recoveredMs);
  }

  const unexpected = new Map<string, number>();
  for (const op of ops) {
    // A 500 is a bug whatever the fault (an unknown outcome, but never an excuse).
    const internal = op.http === 500 || op.error === 'read: INTERNAL';
    if (!internal && (op.status !== 'fail' || EXPECTED_FAILURE.test(op.error ?? ''))) continue;
    const k = `${op.type} ${op.error}`;
    unexpected.set(k, (unexpected.get(k) ?? 0) + 1);
  }

  return {
    unexpectedFailures: [...unexpected].map(([k, n]) => `${k}×${n}`),
    ops: ops.length,
    ok: ops.filter((o) => o.status === 'ok').length,
    fail: ops.filter((o) => o.status === 'fail').length,
    unknown: ops.filter((o) => o.status === 'unknown').length,
    lost,
    phantom,
    staleReads,
    counter: { acked, unknown: unknownIncr, final: final.counter, ok: counterOk },
    gets: { counted: counted.length, ok: okGets, availability: counted.length ? okGets / counted.length : 1 },
    anomalies,
    recoveryMs,
  };
}

/**
 * A lost CAS race; a connection refused while the gateway restarts; a CAS whose read was
 * refused, timed out or answered 5xx (so its write was never sent).
 */
const EXPECTED_FAILURE =
  /^(?:VERSION_CONFLICT|ECONNREFUSED|read: (?:ECONNREFUSED|UND_ERR_\w+|ECONNRESET|STORE_UNAVAILABLE|UPSTREAM_UNAVAILABLE|UPSTREAM_TIMEOUT))$/;

function overlapsAny(op: Op, windows: FaultEvent[]): boolean {
  return windows.some((w) => op.end >= w.start && op.start <= (w.excludeUntil ?? w.end ?? Infinity) + KILL_WINDOW_GRACE_MS);
}
