/**
 * The supervisor behind `miniscale up`, with real node processes: restart after a
 * crash, rolling restart with every slot always served, and a clean stop.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { NodeSupervisor } from '../../src/local/supervisor.js';
import { isAlive } from '../../src/redis-launcher/redis-server.js';
import { createLogger } from '../../src/core/logging.js';
import { startWechatEmulator, type WechatEmulator } from '../../src/wechat-emulator/index.js';

let emulator: WechatEmulator;
let dataDir: string;
let supervisor: NodeSupervisor;
const lines: string[] = [];

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-supervisor-'));
  emulator = await startWechatEmulator({ port: 0, appid: 'wxsupervisor0001', secret: 'secret' });
  supervisor = new NodeSupervisor({
    count: 2,
    nodeArgs: ['--data', dataDir],
    env: supervisorEnv(),
    log: createLogger({ component: 'up', level: 'silent' }),
    onChildLine: (line) => lines.push(line),
  });
});
function supervisorEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MINISCALE_WECHAT_APPID: 'wxsupervisor0001',
    MINISCALE_WECHAT_SECRET: 'secret',
    MINISCALE_WECHAT_API: emulator.url,
    MINISCALE_LOG_LEVEL: 'warn',
    MINISCALE_DRAIN_DELAY_MS: '200',
  };
}

after(async () => {
  supervisor?.killAll();
  await emulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

describe('node supervisor', { timeout: 120_000 }, () => {
  it('starts every node ready, each with its own X-Node-Id', async () => {
    const nodes = await supervisor.start();
    assert.equal(nodes.length, 2);
    assert.equal(new Set(nodes.map((n) => n.nodeId)).size, 2);
    for (const n of nodes) assert.ok(await ready(n.url));
  });

  it('restarts a SIGKILLed node with a new process', async () => {
    const [victim] = supervisor.nodes();
    process.kill(victim!.pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    let replacement;
    while (Date.now() < deadline) {
      replacement = supervisor.nodes().find((n) => n.slot === victim!.slot);
      if (replacement && replacement.pid !== victim!.pid && (await ready(replacement.url))) break;
      await sleep(100);
    }
    assert.ok(replacement && replacement.pid !== victim!.pid, 'the slot has a new process');
    assert.ok(await ready(replacement.url));
  });

  it('backs off exponentially while a node keeps crashing, and says so', async () => {
    const records: { msg: string; restartInMs?: number }[] = [];
    const log = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          records.push(JSON.parse(line) as { msg: string; restartInMs?: number });
        },
      },
    );
    const crashing = new NodeSupervisor({ count: 1, nodeArgs: ['--data', dataDir], env: supervisorEnv(), log, onChildLine: () => {} });
    try {
      await crashing.start();
      for (let crash = 0; crash < 4; crash++) {
        const [node] = crashing.nodes();
        process.kill(node!.pid, 'SIGKILL');
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && !crashing.nodes().some((n) => n.pid !== node!.pid)) await sleep(50);
      }
      assert.deepEqual(
        records.map((r) => r.restartInMs),
        [500, 1_000, 2_000, 4_000],
      );
      assert.match(records.at(-1)!.msg, /keeps crashing/);
      assert.match(records[0]!.msg, /exited unexpectedly/);
    } finally {
      await crashing.stop(5_000);
    }
  });

  it('a rolling restart replaces every node and always keeps one ready per slot', async () => {
    const before = supervisor.nodes();
    let probing = true;
    let gaps = 0;
    const probe = (async () => {
      while (probing) {
        const current = supervisor.nodes();
        if (current.length < 2) gaps++;
        await sleep(20);
      }
    })();
    await supervisor.rollingRestart();
    probing = false;
    await probe;
    const afterNodes = supervisor.nodes();
    assert.equal(gaps, 0, 'a slot was without a ready node');
    assert.equal(afterNodes.length, 2);
    for (const n of afterNodes) {
      assert.ok(!before.some((b) => b.pid === n.pid), 'every process was replaced');
      assert.ok(await ready(n.url));
    }
    for (const b of before) assert.equal(isAlive(b.pid) && !(await isZombie(b.pid)), false, `old node ${b.pid} still runs`);
  });

  it('stop drains every node and leaves no process', async () => {
    const pids = supervisor.pids();
    assert.ok(pids.length >= 2);
    await supervisor.stop(10_000);
    for (const pid of pids) assert.ok(!isAlive(pid) || (await isZombie(pid)), `pid ${pid} still alive`);
  });
});

async function isZombie(pid: number): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(`/proc/${pid}/stat`, 'utf8')).includes(') Z ');
  } catch {
    return false;
  }
}
