/**
 * The WeChat platform routes through `miniscale up` as a user runs it in dev mode: two
 * workers sharing the public port, the in-process emulator, the embedded store. Each
 * endpoint answers, and its WeChat failures come back as their documented codes; a
 * refused token is replaced once for all the workers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { call, login } from '../support/api-nodes.js';
import { tempDir, type TempDir } from '../support/redis.js';
import { killAllUp, startUp, stopUp, type UpHandle } from '../support/up.js';
import { emulatorStats, encryptForUser, injectErrcode, subscribe } from '../support/wechat.js';

let dir: TempDir;
let up: UpHandle;
let emulatorUrl: string;
let admin: Record<string, string>;

before(async () => {
  dir = tempDir('miniscale-up-wechat-');
  up = await startUp(['--nodes', '2', '--data', dir.path], { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0' });
  // up logs where its emulator listens (JSON logs: stdout is not a terminal).
  const line = up.lines.find((l) => l.includes('dev mode') && l.includes('"url"'));
  emulatorUrl = (JSON.parse(line!) as { url: string }).url;
  admin = { authorization: `Bearer ${readFileSync(path.join(dir.path, 'admin-key'), 'utf8').trim()}` };
});
after(async () => {
  if (up) await stopUp(up).catch(() => undefined);
  killAllUp();
  dir?.cleanup();
});

describe('WeChat platform calls through miniscale up (dev mode)', { timeout: 120_000 }, () => {
  it('phone, decrypt, text check, mini program code and subscribe message all answer', async () => {
    const { token, openid } = await login(up.url, 'up-wechat');
    const phone = await call(up.url, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13800138000:up' } });
    assert.deepEqual(phone.body, { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });

    const sealed = await encryptForUser(emulatorUrl, openid, { stepInfoList: [{ timestamp: 1, step: 10 }] });
    const opened = await call(up.url, 'POST', '/v1/me/decrypt', { token, json: sealed });
    assert.deepEqual(opened.body, { data: { stepInfoList: [{ timestamp: 1, step: 10 }] } });

    assert.deepEqual((await call(up.url, 'POST', '/v1/security/text', { token, json: { content: 'hi [risky]' } })).body, {
      suggest: 'risky',
      label: 20001,
    });

    const calls = (await emulatorStats(emulatorUrl)).getwxacodeunlimit;
    const codes = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const res = await request(`${up.url}/v1/wxacode?scene=up&page=pages/index/index`, {
          headers: { authorization: `Bearer ${token}` },
          reset: true,
        });
        return {
          status: res.statusCode,
          type: res.headers['content-type'],
          etag: res.headers.etag,
          bytes: Buffer.from(await res.body.arrayBuffer()),
        };
      }),
    );
    for (const c of codes) {
      assert.equal(c.status, 200);
      assert.equal(c.type, 'image/jpeg');
      assert.ok(c.bytes.equals(codes[0]!.bytes));
      assert.equal(c.etag, codes[0]!.etag);
    }
    assert.equal((await emulatorStats(emulatorUrl)).getwxacodeunlimit - calls, 1, 'one WeChat call for four requests over two workers');
    const cached = await request(`${up.url}/v1/wxacode?scene=up&page=pages/index/index`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': String(codes[0]!.etag) },
    });
    await cached.body.dump();
    assert.equal(cached.statusCode, 304);

    await subscribe(emulatorUrl, openid, 'tmplUp');
    const sent = await call<{ msgid: string }>(up.url, 'POST', '/v1/admin/wechat/subscribe-message', {
      headers: admin,
      json: { touser: openid, template_id: 'tmplUp', data: { thing1: { value: 'hello' } } },
    });
    assert.equal(sent.status, 200, sent.text);
    assert.ok(BigInt(sent.body.msgid) > 2n ** 53n);
  });

  it("WeChat's failures come back as the documented codes; one 40001 costs one refresh for both workers", async () => {
    const { token, openid } = await login(up.url, 'up-wechat-errors');
    await injectErrcode(emulatorUrl, 'getuserphonenumber', 40029);
    assert.equal((await call(up.url, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13800138001:1' } })).status, 400);
    await injectErrcode(emulatorUrl, 'msg_sec_check', 40003);
    assert.equal((await call(up.url, 'POST', '/v1/security/text', { token, json: { content: 'x' } })).status, 409);
    await injectErrcode(emulatorUrl, 'getwxacodeunlimit', 45009);
    const limited = await call(up.url, 'GET', '/v1/wxacode?scene=limited', { token });
    assert.equal((limited.body as { error: { code: string } }).error.code, 'WECHAT_RATE_LIMITED');
    const refused = await call(up.url, 'POST', '/v1/admin/wechat/subscribe-message', {
      headers: admin,
      json: { touser: openid, template_id: 'tmplUp', data: { thing1: { value: 'x' } } },
    });
    assert.equal((refused.body as { error: { code: string } }).error.code, 'SUBSCRIPTION_REFUSED');

    const before = await emulatorStats(emulatorUrl);
    await injectErrcode(emulatorUrl, 'msg_sec_check', 40001);
    const burst = await Promise.all(
      Array.from({ length: 8 }, () =>
        request(`${up.url}/v1/security/text`, {
          method: 'POST',
          reset: true,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{"content":"burst"}',
        }).then(async (r) => {
          await r.body.dump();
          return r.statusCode;
        }),
      ),
    );
    assert.deepEqual(burst, Array(8).fill(200));
    const now = await emulatorStats(emulatorUrl);
    assert.equal(now.stable_token_force - before.stable_token_force, 1, 'one forced refresh for the one refused token');
    assert.equal(now.stable_token - before.stable_token, 2, 'one normal-mode fetch that gave it back, one forced');
  });
});
