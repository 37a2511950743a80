/**
 * CI runs each fault once, briefly (the whole directory in about 3 minutes on a 2-core
 * machine); `npm run chaos` (MINISCALE_CHAOS_ROUNDS, default 5 there) repeats every
 * nemesis schedule that many rounds in one run, with the same checks.
 */
export const ROUNDS = Math.max(1, Number(process.env.MINISCALE_CHAOS_ROUNDS ?? 1) || 1);
export const CHAOS = ROUNDS > 1;

/** Long enough for every round of the slowest scenario, with start-up and final reads. */
export function testTimeoutMs(perRoundMs: number, fixedMs = 90_000): number {
  return fixedMs + ROUNDS * perRoundMs;
}
