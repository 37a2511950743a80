/**
 * Ranks on the embedded store in O(log n): a counted skip list kept in LMDB beside the
 * ranking index, updated in the same write transaction as the score.
 *
 * Level 0 is the ranking index itself (`[board, -score, member]`, key order = rank
 * order). A member also appears on levels 1..level(member), where level(member) is the
 * number of trailing zero hex digits of a hash of the member name (so a member is on
 * level k with probability 16^-k, and every process agrees on it without coordination).
 * Each entry of level k ≥ 1, `[board, k, -score, member] → span`, counts the level-0
 * entries from itself up to (not including) the next entry of level k; the level's head
 * `[board, k] → span` counts those before its first entry. The rank of a member is then
 * the sum of the spans walked past from the top level down — ~8 entries per level,
 * log16(n) levels — plus a short count on level 0. An insert or removal adjusts one span
 * per level (splitting or merging where the member itself is on that level).
 *
 * The structure is only meaningful once every writer maintains it: see the store
 * format switch (embedded-format.ts), which turns it on together with `rebuild`.
 */
import type { Database } from 'lmdb';

/** Levels above 0. 16^6 = 16.7 M members per top-level entry: enough for any board. */
export const RANK_LEVELS = 6;
const LEVEL_BITS = 4;

export type RankingKey = [string, number, string];
/** `[board, level]` for a level's head, `[board, level, -score, member]` for an entry. */
export type RankTreeKey = [string, number] | [string, number, number, string];

/** Where a walk stopped on one level: the entry before the target, its position and span. */
interface Step { key: RankTreeKey; pos: number; span: number }

export class RankIndex {
  readonly #ranking: Database<true, RankingKey>;
  readonly #tree: Database<number, RankTreeKey>;

  constructor(ranking: Database<true, RankingKey>, tree: Database<number, RankTreeKey>) {
    this.#ranking = ranking;
    this.#tree = tree;
  }

  /** 1-based rank of an indexed entry. Reads only; consistent within one read snapshot. */
  rankOf(board: string, neg: number, member: string): number {
    return this.#walk(board, neg, member).before + 1;
  }

  /** Adds an entry (not yet in the ranking index) and returns its rank. Call in a write transaction. */
  insert(board: string, neg: number, member: string): number {
    const { steps, before } = this.#walk(board, neg, member);
    const top = levelOf(member);
    for (let k = 1; k <= RANK_LEVELS; k++) {
      const step = steps[k]!;
      if (k <= top) {
        this.#tree.putSync(step.key, before - step.pos);
        this.#tree.putSync([board, k, neg, member], step.pos + step.span + 1 - before);
      } else {
        this.#tree.putSync(step.key, step.span + 1);
      }
    }
    this.#ranking.putSync([board, neg, member], true);
    return before + 1;
  }

  /** Removes an entry that is in the ranking index. Call in a write transaction. */
  remove(board: string, neg: number, member: string): void {
    const { steps } = this.#walk(board, neg, member);
    const top = levelOf(member);
    for (let k = 1; k <= RANK_LEVELS; k++) {
      const step = steps[k]!;
      if (k <= top) {
        const own: [string, number, number, string] = [board, k, neg, member];
        this.#tree.putSync(step.key, step.span + (this.#tree.get(own) ?? 1) - 1);
        this.#tree.removeSync(own);
      } else {
        this.#tree.putSync(step.key, step.span - 1);
      }
    }
    this.#ranking.removeSync([board, neg, member]);
  }

  /**
   * Rebuilds every board's levels from the ranking index, in one pass: O(n) reads and
   * O(n/15) writes. Call in a write transaction (the format switch does).
   */
  rebuild(): number {
    for (const key of this.#tree.getKeys({})) this.#tree.removeSync(key);
    let members = 0;
    let board: string | undefined;
    let pos = 0;
    const holders: Array<{ key: RankTreeKey; pos: number }> = [];
    const close = () => {
      if (board === undefined) return;
      for (let k = 1; k <= RANK_LEVELS; k++) this.#tree.putSync(holders[k]!.key, pos - holders[k]!.pos);
    };
    for (const [b, neg, member] of this.#ranking.getKeys({})) {
      if (b !== board) {
        close();
        board = b;
        pos = 0;
        for (let k = 1; k <= RANK_LEVELS; k++) holders[k] = { key: [b, k], pos: 0 };
      }
      for (let k = 1, top = levelOf(member); k <= top; k++) {
        this.#tree.putSync(holders[k]!.key, pos - holders[k]!.pos);
        holders[k] = { key: [b, k, neg, member], pos };
      }
      pos++;
      members++;
    }
    close();
    return members;
  }

  /**
   * From the top level down: on each level, the last entry before the target and its
   * position (level-0 entries before it), then the level-0 entries from there to the
   * target. `before` is the target's 0-based rank.
   */
  #walk(board: string, neg: number, member: string): { steps: Step[]; before: number } {
    const steps: Step[] = [];
    let pos = 0;
    let at: [number, string] | undefined;
    for (let k = RANK_LEVELS; k >= 1; k--) {
      const start: RankTreeKey = at ? [board, k, at[0], at[1]] : [board, k];
      let last: { key: RankTreeKey; value: number } | undefined;
      for (const entry of this.#tree.getRange({ start, end: [board, k, neg, member] })) {
        if (last) pos += last.value;
        last = entry;
      }
      steps[k] = { key: last?.key ?? start, pos, span: last?.value ?? 0 };
      if (last && last.key.length === 4) at = [last.key[2], last.key[3]];
    }
    const start: [string] | RankingKey = at ? [board, at[0], at[1]] : [board];
    const before = pos + this.#ranking.getKeysCount({ start, end: [board, neg, member] });
    return { steps, before };
  }
}

/** How many levels above 0 a member is on: trailing zero hex digits of a hash of its name, capped. */
export function levelOf(member: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < member.length; i++) {
    h ^= member.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV's low bits mix poorly for short names that differ in one digit; murmur3's finaliser spreads them.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  let level = 0;
  while (level < RANK_LEVELS && (h & ((1 << LEVEL_BITS) - 1)) === 0) {
    level++;
    h >>>= LEVEL_BITS;
  }
  return level;
}
