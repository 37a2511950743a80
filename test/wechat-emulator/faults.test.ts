/**
 * The emulator's fault knobs (delay, "system busy", dropped connections), and that its
 * memory stays bounded: used codes, login windows and dead tokens are forgotten.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { LoginBook } from '../../src/wechat-emulator/logins.js';
import { TokenBook } from '../../src/wechat-emulator/tokens.js';
import type { FaultSettings } from '../../src/wechat-emulator/index.js';
import { closeAll, getJson, login, postJson, startEmu, stats } from './helpers.js';

after(closeAll);

describe('fault knobs', { timeout: 30_000 }, () => {
  it('failNext answers -1 (system busy) to the next N WeChat calls, then behaves again', async () => {
    const { url } = await startEmu();
    const set = await postJson<FaultSettings>(url, '/_emulator/faults', { failNext: 2 });
    assert.deepEqual(set.body, { delayMs: 0, failNext: 2, dropNext: 0 });
    const first = await login(url, 'dev:ivy:1');
    assert.equal(first.errcode, -1);
    assert.match(first.errmsg ?? '', /^system error/);
    assert.equal((await login(url, 'dev:ivy:1')).errcode, -1);
    assert.ok((await login(url, 'dev:ivy:1')).openid, 'a failed call did not use the code up');
    assert.equal((await stats(url)).jscode2session, 3, 'failed calls are counted too');
    assert.deepEqual((await getJson<FaultSettings>(url, '/_emulator/faults')).body, { delayMs: 0, failNext: 0, dropNext: 0 });
  });

  it('dropNext destroys the connection of the next N calls with no answer', async () => {
    const { url } = await startEmu();
    await postJson(url, '/_emulator/faults', { dropNext: 1 });
    await assert.rejects(login(url, 'dev:jay:1'), (err: Error) =>
      /other side closed|socket|ECONNRESET/i.test(`${err.message} ${String((err as { code?: string }).code)}`),
    );
    assert.ok((await login(url, 'dev:jay:1')).openid);
    assert.equal((await stats(url)).jscode2session, 2);
  });

  it('delayMs holds every WeChat answer (not the knobs), so a client timeout fires', async () => {
    const { url } = await startEmu();
    await postJson(url, '/_emulator/faults', { delayMs: 400 });
    let t = Date.now();
    assert.ok((await login(url, 'dev:kim:1')).openid);
    assert.ok(Date.now() - t >= 390, `answered after ${Date.now() - t} ms`);
    t = Date.now();
    await stats(url);
    assert.ok(Date.now() - t < 300, 'knobs are not delayed');
    await assert.rejects(request(`${url}/cgi-bin/token?grant_type=client_credential`, { signal: AbortSignal.timeout(100) }), {
      name: 'TimeoutError',
    });
    await postJson(url, '/_emulator/reset');
    assert.deepEqual(
      (await getJson<FaultSettings>(url, '/_emulator/faults')).body,
      { delayMs: 0, failNext: 0, dropNext: 0 },
      'reset clears faults',
    );
  });

  it('rejects a bad faults body with 400 and a clear message', async () => {
    const { url } = await startEmu();
    for (const body of [{ delayMs: -1 }, { failNext: 1.5 }, { dropNext: 'two' }, { slow: 1 }, [1]]) {
      const r = await postJson<{ error: { code: string; message: string } }>(url, '/_emulator/faults', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    }
    const r = await postJson<{ error: { code: string } }>(url, '/_emulator/faults', undefined, '{nope');
    assert.equal(r.status, 400);
  });

  it('close() ends promptly even with a delayed request in flight', async () => {
    const emu = await startEmu();
    await postJson(emu.url, '/_emulator/faults', { delayMs: 60_000 });
    const pending = login(emu.url, 'dev:lee:1').then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 100));
    const t = Date.now();
    await emu.close();
    assert.ok(Date.now() - t < 2_000, `close took ${Date.now() - t} ms`);
    assert.equal(await pending, 'dropped');
  });
});

describe('bounded memory', () => {
  it('forgets used codes after usedCodeMemory and login windows after a minute', () => {
    const book = new LoginBook({ appid: 'wx', limitPerMinute: 2, usedCodeMemoryMs: 600_000, unionid: false });
    const t0 = 1_000_000;
    for (let i = 0; i < 2; i++) book.exchange(`dev:u${i}:x`, t0);
    assert.throws(() => book.exchange('dev:u0:x', t0 + 1), { errcode: 40163 });
    assert.deepEqual(book.size, { usedCodes: 2, users: 2 });
    book.sweep(t0 + 59_999);
    assert.deepEqual(book.size, { usedCodes: 2, users: 2 });
    book.sweep(t0 + 60_000);
    assert.deepEqual(book.size, { usedCodes: 2, users: 0 }, 'a minute later no window is needed');
    book.sweep(t0 + 600_000);
    assert.deepEqual(book.size, { usedCodes: 0, users: 0 });
  });

  it('the per-user window slides: a login older than 60 s no longer counts', () => {
    const book = new LoginBook({ appid: 'wx', limitPerMinute: 2, usedCodeMemoryMs: 600_000, unionid: false });
    book.exchange('dev:w:1', 0);
    book.exchange('dev:w:2', 30_000);
    assert.throws(() => book.exchange('dev:w:3', 59_999), { errcode: 45011 });
    assert.ok(book.exchange('dev:w:3', 60_000).openid);
  });

  it('forgets tokens an hour after they stopped working', () => {
    const book = new TokenBook({
      ttlMs: 7_200_000,
      invalidateAfterMs: 300_000,
      renewBeforeMs: 300_000,
      forceIntervalMs: 30_000,
      forcePerDay: 20,
    });
    const t0 = 0;
    const old = book.issueToken(t0).access_token;
    book.issueToken(t0 + 1_000);
    assert.equal(book.size, 2);
    book.sweep(t0 + 301_000 + 3_600_000);
    assert.equal(book.size, 2, 'dead for exactly an hour: still known');
    book.sweep(t0 + 301_001 + 3_600_000);
    assert.equal(book.size, 1);
    assert.throws(() => book.check(old, t0 + 301_001 + 3_600_000), { errcode: 40001 });
  });
});
