/**
 * The embedded store's format switch as a rolling upgrade goes: a node of the previous
 * version (its source taken from git: the commit before the switch existed) and a node
 * of this version share a directory, each reading what the other writes; the previous
 * version stops; `miniscale store upgrade` flips the format while this version keeps
 * running; then both record layouts live in one directory, every value reads exactly,
 * and ranks come from the counted levels built at the flip.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore, type Store } from '../../src/store/index.js';
import { embeddedDir } from '../../src/store/store-config.js';
import { finished, killAll, REPO_ROOT, runTs, spawnTs } from '../support/processes.js';
import { BOARD, KEYS, expectedValue } from './versioned-values.js';

/** The last commit before the format switch: the version a rolling upgrade starts from. */
function previousVersion(): string | undefined {
  try {
    const added = execFileSync('git', ['log', '--format=%H', '--diff-filter=A', '--', 'src/store/drivers/embedded-format.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    return added ? execFileSync('git', ['rev-parse', `${added}^`], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() : undefined;
  } catch {
    return undefined;
  }
}

const previous = previousVersion();

describe(
  'embedded store: rolling upgrade to the packed format',
  { timeout: 180_000, skip: previous ? false : 'needs the git history (the previous version is taken from it)' },
  () => {
    let work: string;
    let data: string;
    let oldRoot: string;
    let store: Store;

    before(() => {
      work = mkdtempSync(path.join(os.tmpdir(), 'miniscale-upgrade-'));
      data = path.join(work, 'data');
      oldRoot = path.join(work, 'previous');
      mkdirSync(oldRoot);
      execFileSync('sh', ['-c', `git archive ${previous} src package.json | tar -x -C "${oldRoot}"`], { cwd: REPO_ROOT });
      symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(oldRoot, 'node_modules'));
    });
    after(async () => {
      killAll();
      await store?.close().catch(() => {});
      rmSync(work, { recursive: true, force: true });
    });

    const layouts = async () =>
      JSON.parse((await runTs('test/store/kv-layouts.mjs', [embeddedDir(data)])).stdout) as Record<string, number>;

    it('a previous-version node and this version read and write one directory side by side, then the flip switches writes to the packed layout', async () => {
      const dir = embeddedDir(data);
      const old = spawnTs('test/store/versioned-store-worker.ts', [oldRoot, dir, '4000', 'old', 'new']);
      const oldDone = finished(old, 120_000);
      await new Promise<void>((resolve, reject) => {
        old.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        old.once('exit', () => reject(new Error('the previous-version worker exited before it was ready')));
      });
      // A directory the previous version has written to stays on format 1.
      store = await openStore({ driver: 'embedded', dir, durability: 'commit' });
      const newer = spawnTs('test/store/versioned-store-worker.ts', [REPO_ROOT, dir, '4000', 'new', 'old']);
      const results = await Promise.all([oldDone, finished(newer, 120_000)]);
      for (const r of results) {
        const line = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
          ok: boolean;
          reads?: number;
          misreadCount?: number;
          misreads?: string[];
          error?: string;
        };
        assert.ok(line.ok, line.error ?? r.stderr.slice(-1000));
        assert.ok(line.reads! > 0, 'each side read the other');
        assert.equal(line.misreadCount, 0, line.misreads?.join('\n'));
      }
      assert.ok(
        Object.values(await layouts()).every((b) => b === 0xd4),
        'format 1 only, while a previous-version node may run',
      );

      // A process of this version keeps scoring on a second board across the flip (with
      // 50,000 names the board keeps growing, so members that joined after it are seen).
      const busyBoard = 'app:board:busy';
      const busy = finished(
        spawnTs('test/store/store-worker.ts', [
          JSON.stringify({
            op: 'zset-random',
            config: { driver: 'embedded', dir, durability: 'commit' },
            board: busyBoard,
            members: 50_000,
            calls: 40_000,
            concurrency: 20,
          }),
        ]),
        120_000,
      );
      while ((await store.ztop(busyBoard, 1000)).length < 500) await sleep(50);
      const upgraded = await runTs('src/cli.ts', ['store', 'upgrade', '--data', data]);
      const busyDone = await busy;
      assert.equal(busyDone.code, 0, busyDone.stderr.slice(-1000));
      assert.equal(upgraded.code, 0, upgraded.stderr);
      const report = JSON.parse(upgraded.stdout) as { event: string; from: number; to: number; boardMembers: number };
      assert.deepEqual([report.event, report.from, report.to], ['store-upgraded', 1, 2]);
      assert.ok(report.boardMembers >= 40 + 500, `${report.boardMembers} members on the boards at the flip`);
      const names = Array.from({ length: 50_000 }, (_, i) => `p${i}`);
      const scored = (await Promise.all(names.map(async (m) => [m, await store.zscore(busyBoard, m)] as const)))
        .filter((e): e is readonly [string, number] => e[1] !== null)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const ranks = await Promise.all(scored.map(([m]) => store.zrank(busyBoard, m)));
      assert.deepEqual(
        ranks,
        scored.map((_, i) => i + 1),
        'ranks on the board written across the flip',
      );
      console.log(`# busy board: ${report.boardMembers - 40} members at the flip, ${scored.length} at the end`);
      assert.ok(scored.length > report.boardMembers - 40, 'members joined the busy board after the flip');

      // This process opened the directory before the flip and follows it at its next write.
      for (let i = 0; i < KEYS; i += 2) await store.set(`new:${i}`, expectedValue('new', i, 1000));
      const after = await layouts();
      for (let i = 0; i < KEYS; i++) {
        assert.equal(after[`old:${i}`], 0xd4, `old:${i} keeps its layout`);
        assert.equal(after[`new:${i}`], i % 2 === 0 ? 0xc1 : 0xd4, `new:${i}`);
      }
      for (const [prefix, round] of [
        ['old', undefined],
        ['new', 1000],
      ] as const) {
        for (let i = 0; i < KEYS; i++) {
          // new:ODD was last written by the worker before the flip; the workers checked those.
          if (prefix === 'new' && i % 2 === 1) continue;
          const key = `${prefix}:${i}`;
          const text = store.getJsonNow(key)!.json;
          const expected = JSON.stringify(expectedValue(prefix, i, round ?? (JSON.parse(text) as { round: number }).round));
          assert.equal(text, expected, key);
          const entry = await store.get(key);
          assert.equal(JSON.stringify(entry!.value), expected, `get ${key}`);
          assert.deepEqual(await store.getJson(key), { json: text, version: entry!.version, expiresAt: null });
        }
      }
      const tricky = (await store.get('new:0'))!.value as { tricky: Record<string, unknown> };
      assert.equal(Object.getPrototypeOf(tricky.tricky), Object.prototype, '__proto__ stays an own key');
      assert.deepEqual(Object.keys(tricky.tricky), ['10', 'b', '__proto__', 'a', 'lone']);
      assert.equal(tricky.tricky.lone, '\ud800');

      // Ranks from the levels built at the flip, kept by the writes after it.
      await store.zset(BOARD, 'late', 25, { mode: 'set' });
      const top = await store.ztop(BOARD, 1000);
      assert.equal(top.length, 41);
      for (const entry of top) assert.equal(await store.zrank(BOARD, entry.member), entry.rank, entry.member);
      const sorted = [...top].sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : 1));
      assert.deepEqual(
        top.map((e) => e.member),
        sorted.map((e) => e.member),
      );

      const again = await runTs('src/cli.ts', ['store', 'upgrade', '--data', data]);
      assert.equal((JSON.parse(again.stdout) as { event: string }).event, 'store-already-current');
    });

    it('store upgrade on a directory without an embedded store is a usage error that creates nothing', async () => {
      const missing = path.join(work, 'missing');
      const r = await runTs('src/cli.ts', ['store', 'upgrade', '--data', missing]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /CONFIG_INVALID: no embedded store in .*missing/);
      assert.equal(existsSync(missing), false);
    });

    it('a new, empty directory starts in the packed format', async () => {
      const fresh = await openStore({ driver: 'embedded', dir: embeddedDir(path.join(work, 'fresh')) });
      await fresh.set('k', { a: 1 });
      await fresh.close();
      assert.deepEqual(JSON.parse((await runTs('test/store/kv-layouts.mjs', [embeddedDir(path.join(work, 'fresh'))])).stdout), { k: 0xc1 });
    });
  },
);
