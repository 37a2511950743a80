/**
 * One fault run: clients start, the nemesis schedule runs while they work, clients
 * stop, every key is read back, the checker judges the history, and the assertions the
 * issue asks for are made on the verdict. When one fails, the history is written to an
 * artifact file whose path is in the failure message (and printed).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { check, type Verdict } from './checker.js';
import { History } from './history.js';
import type { Target } from './http-client.js';
import { faultSummary, type Row } from './report.js';
import { readFinalState, startWorkload, type FinalState, type Workload } from './workload.js';

/** The bar for GETs outside kill windows. */
export const MIN_GET_AVAILABILITY = 0.995;

export interface ScenarioOptions {
  name: string;
  target: Target;
  /** Called once the clients are signed in (a nemesis may need their openids). */
  onStart?(wl: Workload): void;
  /** Runs the faults; the workload is running meanwhile. */
  nemesis(h: History): Promise<void>;
  /** Checks after the run that the system is whole again (killed nodes back, …); returns problems. */
  healthy(): Promise<string[]>;
  /**
   * Acknowledged writes this setting may lose by its documented contract (Redis with
   * appendfsync everysec, Redis Cluster's asynchronous replication). 0 = none.
   * @default 0
   */
  allowedLoss?: number;
  users?: number;
  workersPerUser?: number;
  /** Clients run alone this long before the first fault and after the last. @default 1_000 */
  quietMs?: number;
}

export interface ScenarioResult {
  row: Row;
  verdict: Verdict;
  history: History;
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const h = new History();
  const wl = await startWorkload(o.target, h, { users: o.users ?? 3, workersPerUser: o.workersPerUser ?? 2, counter: `ctr-${Date.now()}` });
  o.onStart?.(wl);
  let nemesisError: unknown;
  try {
    await sleep(o.quietMs ?? 1_000);
    await o.nemesis(h);
    await sleep(o.quietMs ?? 1_000);
  } catch (err) {
    nemesisError = err;
  } finally {
    await wl.stop();
  }
  const problems: string[] = [];
  if (nemesisError) problems.push(`nemesis: ${(nemesisError as Error).stack ?? String(nemesisError)}`);
  let verdict: Verdict | undefined;
  let final: FinalState | undefined;
  try {
    final = await readFinalState(o.target, wl);
    verdict = check(h, final);
    problems.push(...(await o.healthy()));
  } catch (err) {
    problems.push(`final state: ${(err as Error).message}`);
  }
  const row: Row | undefined = verdict && { setting: o.name, faults: faultSummary(h.faults.map((f) => f.kind)), verdict };
  const failures = verdict ? [...problems, ...judge(verdict, o.allowedLoss ?? 0)] : problems;
  // Losses a setting is allowed (async replication) are still shown, not just counted.
  if (verdict && verdict.anomalies.length > 0)
    console.log(`# ${o.name}: ${verdict.anomalies.length} anomalies, e.g. ${verdict.anomalies.slice(0, 8).join(' | ')}`);
  if (process.env.MINISCALE_FAULTS_KEEP) console.log(`# history: ${h.save(o.name, { final, verdict })}`);
  if (failures.length > 0) {
    const file = h.save(o.name, { final, verdict, failures });
    console.log(`# ${o.name}: history kept in ${file}`);
    assert.fail(`${o.name}: ${failures.join('; ')} (history: ${file})`);
  }
  return { row: row!, verdict: verdict!, history: h };
}

/** What must hold for every store; losses only up to what the setting allows. */
function judge(v: Verdict, allowedLoss: number): string[] {
  const out: string[] = [];
  if (v.phantom > 0) out.push(`${v.phantom} phantom value(s)`);
  const counterShort = Math.max(0, v.counter.acked - v.counter.final);
  const counterOver = v.counter.final - (v.counter.acked + v.counter.unknown);
  if (counterOver > 0) out.push(`counter ${counterOver} above acked + unknown`);
  const losses = v.lost + v.staleReads + counterShort;
  if (losses > allowedLoss)
    out.push(`${losses} acknowledged update(s) lost (allowed ${allowedLoss}): ${v.anomalies.slice(0, 5).join(' | ')}`);
  if (v.gets.availability < MIN_GET_AVAILABILITY)
    out.push(`GET availability ${(v.gets.availability * 100).toFixed(2)}% < ${MIN_GET_AVAILABILITY * 100}%`);
  // Definite failures the faults may cause: a lost CAS race, a refused connection while
  // `up` restarts, a CAS whose read could not be answered. Anything else — above all a
  // 401, a session lost in a failure — is a bug.
  const unexpected = v.unexpectedFailures;
  if (unexpected.length > 0) out.push(`unexpected definite failures: ${unexpected.slice(0, 5).join(', ')}`);
  // A run in which nothing happened proves nothing.
  if (v.ok < 50) out.push(`only ${v.ok} acknowledged operations`);
  return out;
}
