/**
 * Ranks on the embedded store in O(log n): a counted skip list kept in LMDB beside the
 * ranking index, updated in the same write transaction as the score.
 *
 * Level 0 is the ranking index itself (`[board, -score, member]`, key order = rank
 * order). A member also appears on levels 1..level(member), decided by a hash of the
 * member name, so every process agrees without coordination: level 1 holds 1 member in
 * 64, each level above 1 in 16 of the one below.
 * Each entry of level k ≥ 1, `[board, k, -score, member] → span`, counts the level-0
 * entries from itself up to (not including) the next entry of level k; the level's head
 * `[board, k] → span` counts those before its first entry. The rank of a member is then
 * the sum of the spans walked past from the top level down — ~8 entries per level,
 * about log16(n/64) + 1 levels — plus a count on level 0 of ~32 keys, which LMDB does
 * natively (a range read through lmdb-js costs ~5 µs, a counted key ~0.05 µs: hence
 * the wider first level). An insert or removal adjusts one span
 * per level (splitting or merging where the member itself is on that level).
 *
 * `[board, 0] → [top, size]` records the highest level any member of the board has had
 * and the board's size. Levels above `top` hold nothing and are neither walked nor
 * written: on a board of 100,000 members that saves two of six levels per walk (a
 * range read costs ~5 µs in lmdb-js, most of a zset). `top` never goes down, so a
 * level that empties keeps its head.
 *
 * The structure is only meaningful once every writer maintains it: see the store
 * format switch (embedded-format.ts), which turns it on together with `rebuild`.
 */
import type { Database } from 'lmdb';
import { hash32 } from '../../core/hash32.js';

/** Levels above 0. 64 × 16^5 = 67 M members per top-level entry: enough for any board. */
export const RANK_LEVELS = 6;
const FIRST_LEVEL_BITS = 6;
const LEVEL_BITS = 4;

export type RankingKey = [string, number, string];
/** `[board, 0]` for the board's record, `[board, level]` for a level's head, `[board, level, -score, member]` for an entry. */
export type RankTreeKey = [string, number] | [string, number, number, string];
/** A span, or the board record's `[top, size]`. */
export type RankTreeValue = number | [number, number];

interface BoardLevels {
  top: number;
  size: number;
}

/** Where a walk stopped on one level: the entry before the target, its position and span. */
interface Step {
  key: RankTreeKey;
  pos: number;
  span: number;
}

export class RankIndex {
  readonly #ranking: Database<true, RankingKey>;
  readonly #tree: Database<RankTreeValue, RankTreeKey>;

  constructor(ranking: Database<true, RankingKey>, tree: Database<RankTreeValue, RankTreeKey>) {
    this.#ranking = ranking;
    this.#tree = tree;
  }

  /** 1-based rank of an indexed entry. Reads only; consistent within one read snapshot. */
  rankOf(board: string, neg: number, member: string): number {
    return this.#walk(board, this.#levels(board).top, neg, member).before + 1;
  }

  /**
   * Moves a member from `oldNeg` (undefined: not on the board) to `neg` in the ranking
   * index and the levels, and returns its new rank. Call in a write transaction.
   */
  move(board: string, oldNeg: number | undefined, neg: number, member: string): number {
    const levels = this.#levels(board);
    if (oldNeg !== undefined) this.#remove(board, oldNeg, member, levels);
    const rank = this.#insert(board, neg, member, levels);
    this.#tree.putSync([board, 0], [levels.top, levels.size]);
    return rank;
  }

  #levels(board: string): BoardLevels {
    const record = this.#tree.get([board, 0]) as [number, number] | undefined;
    return record ? { top: record[0], size: record[1] } : { top: 0, size: 0 };
  }

  #insert(board: string, neg: number, member: string, levels: BoardLevels): number {
    const { steps, before } = this.#walk(board, levels.top, neg, member);
    const own = levelOf(member);
    for (let k = 1; k <= Math.max(levels.top, own); k++) {
      const step = steps[k];
      if (!step) {
        // A level above the board's top so far: its head covers everyone before the member.
        this.#tree.putSync([board, k], before);
        this.#tree.putSync([board, k, neg, member], levels.size + 1 - before);
      } else if (k <= own) {
        this.#tree.putSync(step.key, before - step.pos);
        this.#tree.putSync([board, k, neg, member], step.pos + step.span + 1 - before);
      } else {
        this.#tree.putSync(step.key, step.span + 1);
      }
    }
    this.#ranking.putSync([board, neg, member], true);
    levels.top = Math.max(levels.top, own);
    levels.size++;
    return before + 1;
  }

  /**
   * A removal needs no positions, only the entry covering the member on each level:
   * one reverse read per level instead of a walk.
   */
  #remove(board: string, neg: number, member: string, levels: BoardLevels): void {
    const own = levelOf(member);
    for (let k = 1; k <= levels.top; k++) {
      const pred = this.#predecessor(board, k, neg, member);
      if (k <= own) {
        const entry: [string, number, number, string] = [board, k, neg, member];
        this.#tree.putSync(pred.key, pred.span + ((this.#tree.get(entry) as number | undefined) ?? 1) - 1);
        this.#tree.removeSync(entry);
      } else {
        this.#tree.putSync(pred.key, pred.span - 1);
      }
    }
    this.#ranking.removeSync([board, neg, member]);
    levels.size--;
  }

  /** The last entry of level k before the member's key (the level's head when none), with its span. */
  #predecessor(board: string, k: number, neg: number, member: string): { key: RankTreeKey; span: number } {
    // Reverse from the member's own key (inclusive, so skipped when the member is on level
    // k) down to the level's head; `end` is exclusive and the head exists up to `top`.
    for (const entry of this.#tree.getRange({ start: [board, k, neg, member], end: [board, k - 1], reverse: true, limit: 2 })) {
      const key = entry.key;
      if (key.length === 4 && key[2] === neg && key[3] === member) continue;
      return { key, span: entry.value as number };
    }
    return { key: [board, k], span: 0 };
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
    let top = 0;
    const holders: Array<{ key: RankTreeKey; pos: number }> = [];
    const close = () => {
      if (board === undefined) return;
      for (let k = 1; k <= top; k++) this.#tree.putSync(holders[k]!.key, pos - holders[k]!.pos);
      this.#tree.putSync([board, 0], [top, pos]);
    };
    for (const [b, neg, member] of this.#ranking.getKeys({})) {
      if (b !== board) {
        close();
        board = b;
        pos = 0;
        top = 0;
        for (let k = 1; k <= RANK_LEVELS; k++) holders[k] = { key: [b, k], pos: 0 };
      }
      const own = levelOf(member);
      top = Math.max(top, own);
      for (let k = 1; k <= own; k++) {
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
  #walk(board: string, top: number, neg: number, member: string): { steps: Step[]; before: number } {
    const steps: Step[] = [];
    let pos = 0;
    let at: [number, string] | undefined;
    for (let k = top; k >= 1; k--) {
      const start: RankTreeKey = at ? [board, k, at[0], at[1]] : [board, k];
      let last: { key: RankTreeKey; value: number } | undefined;
      for (const entry of this.#tree.getRange({ start, end: [board, k, neg, member] })) {
        if (last) pos += last.value;
        last = entry as { key: RankTreeKey; value: number };
      }
      steps[k] = { key: last?.key ?? start, pos, span: last?.value ?? 0 };
      if (last && last.key.length === 4) at = [last.key[2], last.key[3]];
    }
    const start: [string] | RankingKey = at ? [board, at[0], at[1]] : [board];
    const before = pos + this.#ranking.getKeysCount({ start, end: [board, neg, member] });
    return { steps, before };
  }
}

/** How many levels above 0 a member is on: from the trailing zero bits of a hash of its name (6, then 4 per level), capped. */
export function levelOf(member: string): number {
  let h = hash32(member);
  if ((h & ((1 << FIRST_LEVEL_BITS) - 1)) !== 0) return 0;
  h >>>= FIRST_LEVEL_BITS;
  let level = 1;
  while (level < RANK_LEVELS && (h & ((1 << LEVEL_BITS) - 1)) === 0) {
    level++;
    h >>>= LEVEL_BITS;
  }
  return level;
}
