/**
 * The WeChat platform routes against two real nodes and the emulator: each endpoint,
 * each of its failure paths (WeChat's errcodes, -1, a refused token, a timeout, bad
 * input), the mini program code cache shared by the nodes, and that the session_key
 * appears in no answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { call as rawCall, login, startApiTopology, TEST_ADMIN_KEY, type ApiTopology, type Reply } from '../support/api-nodes.js';
import { killAll } from '../support/processes.js';
import {
  emulatorStats,
  encryptForUser,
  expireTokens,
  injectErrcode,
  resetEmulator,
  sentMessages,
  sessionKeyOf,
  setFaults,
  subscribe,
  tokenFetched,
} from '../support/wechat.js';

type ErrorReply = { error: { code: string; message: string } };
const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

let t: ApiTopology;
let a: string;
let b: string;
let emu: string;
/** Every answer of the routes under test, to look for the session_key in the end. */
const answers: Array<{ headers: unknown; text: string }> = [];
/** Every session_key the emulator handed the nodes for the users below. */
const sessionKeys = new Set<string>();

async function call<T = Record<string, unknown>>(...args: Parameters<typeof rawCall>): Promise<Reply<T>> {
  const reply = await rawCall<T>(...args);
  answers.push({ headers: reply.headers, text: reply.text });
  return reply;
}

async function user(name: string): Promise<{ token: string; openid: string }> {
  const session = await login(a, name);
  sessionKeys.add(await sessionKeyOf(emu, session.openid));
  return session;
}

function assertError(res: Reply, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal((res.body as ErrorReply).error.code, code, res.text);
}

async function wxacode(base: string, token: string, query: string, headers: Record<string, string> = {}) {
  const res = await request(`${base}/v1/wxacode?${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  answers.push({ headers: res.headers, text: bytes.toString('latin1') });
  return { status: res.statusCode, headers: res.headers, bytes };
}

before(async () => {
  t = await startApiTopology({
    nodes: 2,
    env: {
      MINISCALE_RATE_LIMIT_USER: '0',
      MINISCALE_RATE_LIMIT_IP: '0',
      MINISCALE_RATE_LIMIT_LOGIN: '0',
      MINISCALE_WECHAT_TIMEOUT_MS: '800',
    },
  });
  [a, b] = t.nodes.map((n) => n.url) as [string, string];
  emu = t.emulatorUrl;
  await tokenFetched(emu);
});
after(async () => {
  await t?.stop();
  killAll();
});

describe('POST /v1/me/phone', { timeout: 60_000 }, () => {
  it('answers the phone number behind a getPhoneNumber code, as WeChat gives it', async () => {
    const { token } = await user('phone-owner');
    const cn = await call(a, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13800138000:1' } });
    assert.equal(cn.status, 200, cn.text);
    assert.deepEqual(cn.body, { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
    const us = await call(b, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:1-4155550100:2' } });
    assert.deepEqual(us.body, { phoneNumber: '+14155550100', purePhoneNumber: '4155550100', countryCode: '1' });
  });

  it('a used or unknown code is 400 WECHAT_CODE_INVALID; a malformed body is 400 VALIDATION_FAILED; no session is 401', async () => {
    const { token } = await user('phone-errors');
    assert.equal((await call(a, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13900139000:x' } })).status, 200);
    assertError(await call(b, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13900139000:x' } }), 400, 'WECHAT_CODE_INVALID');
    assertError(
      await call(a, 'POST', '/v1/me/phone', { token, json: { code: 'e31968a7f94cc5ee25fafc2aef2773f0' } }),
      400,
      'WECHAT_CODE_INVALID',
    );
    for (const json of [{}, { code: '' }, { code: 'has space' }, { code: 'x'.repeat(257) }, { code: 5 }, { code: 'ok', extra: 1 }]) {
      assertError(await call(a, 'POST', '/v1/me/phone', { token, json }), 400, 'VALIDATION_FAILED');
    }
    assertError(await call(a, 'POST', '/v1/me/phone', { json: { code: 'devphone:86-13900139000:y' } }), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /v1/me/decrypt', { timeout: 60_000 }, () => {
  it("opens encryptedData with the caller's session_key and answers it without its watermark; checks rawData+signature", async () => {
    const { token, openid } = await user('decrypter');
    const data = { nickName: '小明', stepInfoList: [{ timestamp: 1_700_000_000, step: 4321 }] };
    const sealed = await encryptForUser(emu, openid, data);
    const opened = await call<{ data: unknown }>(b, 'POST', '/v1/me/decrypt', {
      token,
      json: { encryptedData: sealed.encryptedData, iv: sealed.iv },
    });
    assert.equal(opened.status, 200, opened.text);
    assert.deepEqual(opened.body, { data });
    const signed = await call(a, 'POST', '/v1/me/decrypt', { token, json: sealed });
    assert.deepEqual(signed.body, { data });
    const forged = { ...sealed, rawData: JSON.stringify({ nickName: 'mallory' }) };
    assertError(await call(a, 'POST', '/v1/me/decrypt', { token, json: forged }), 400, 'SIGNATURE_INVALID');
    assertError(
      await call(a, 'POST', '/v1/me/decrypt', { token, json: { ...sealed, signature: 'f'.repeat(40) } }),
      400,
      'SIGNATURE_INVALID',
    );
    const { signature: _s, ...withoutSignature } = sealed;
    assertError(await call(a, 'POST', '/v1/me/decrypt', { token, json: withoutSignature }), 400, 'VALIDATION_FAILED');
  });

  it('data for another session (a later login), another app, or damaged is 400 DECRYPT_FAILED', async () => {
    const first = await user('two-logins');
    const second = await user('two-logins'); // WeChat gives the user a new session_key
    const sealed = await encryptForUser(emu, second.openid, { a: 1 });
    assert.equal(
      (await call(a, 'POST', '/v1/me/decrypt', { token: second.token, json: { encryptedData: sealed.encryptedData, iv: sealed.iv } }))
        .status,
      200,
    );
    assertError(
      await call(a, 'POST', '/v1/me/decrypt', { token: first.token, json: { encryptedData: sealed.encryptedData, iv: sealed.iv } }),
      400,
      'DECRYPT_FAILED',
    );
    const otherApp = await encryptForUser(emu, second.openid, { a: 1 }, 'wxsomeoneelse0001');
    assertError(
      await call(a, 'POST', '/v1/me/decrypt', { token: second.token, json: { encryptedData: otherApp.encryptedData, iv: otherApp.iv } }),
      400,
      'DECRYPT_FAILED',
    );
    const damaged = Buffer.from(sealed.encryptedData, 'base64');
    damaged[damaged.length - 1]! ^= 0xff;
    assertError(
      await call(a, 'POST', '/v1/me/decrypt', { token: second.token, json: { encryptedData: damaged.toString('base64'), iv: sealed.iv } }),
      400,
      'DECRYPT_FAILED',
    );
  });

  it('refuses what is not base64 of a sane length with 400 VALIDATION_FAILED', async () => {
    const { token } = await user('decrypt-input');
    const iv = Buffer.alloc(16).toString('base64');
    const block = Buffer.alloc(32).toString('base64');
    for (const json of [
      { encryptedData: 'not base64!', iv },
      { encryptedData: block, iv: 'AAAA' },
      { encryptedData: block, iv: `${iv}AAAA` },
      { encryptedData: 'A'.repeat(40_000), iv },
      { encryptedData: '', iv },
      { encryptedData: block },
      { encryptedData: block, iv, extra: true },
      { encryptedData: block, iv, rawData: 'x', signature: 'not-hex' },
    ]) {
      assertError(await call(a, 'POST', '/v1/me/decrypt', { token, json }), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('POST /v1/security/text', { timeout: 60_000 }, () => {
  it("answers WeChat's suggestion and label for the caller's text (msg_sec_check version 2, scene sent)", async () => {
    const { token } = await user('writer');
    assert.deepEqual((await call(a, 'POST', '/v1/security/text', { token, json: { content: 'hello, world' } })).body, {
      suggest: 'pass',
      label: 100,
    });
    assert.deepEqual((await call(b, 'POST', '/v1/security/text', { token, json: { content: 'x [risky] y', scene: 3 } })).body, {
      suggest: 'risky',
      label: 20001,
    });
    assert.deepEqual((await call(a, 'POST', '/v1/security/text', { token, json: { content: '[review]', scene: 1 } })).body, {
      suggest: 'review',
      label: 21000,
    });
    // WeChat's limit is 2500 characters, not bytes: 2500 CJK characters pass.
    assert.equal((await call(a, 'POST', '/v1/security/text', { token, json: { content: '字'.repeat(2500) } })).status, 200);
  });

  it("WeChat's 40003 (not an active user) is 409 WECHAT_USER_INACTIVE; bad input is 400", async () => {
    const { token } = await user('inactive');
    await injectErrcode(emu, 'msg_sec_check', 40003);
    assertError(await call(a, 'POST', '/v1/security/text', { token, json: { content: 'hi' } }), 409, 'WECHAT_USER_INACTIVE');
    for (const json of [
      {},
      { content: '' },
      { content: '字'.repeat(2501) },
      { content: 'x', scene: 5 },
      { content: 'x', scene: '2' },
      { content: 1 },
    ]) {
      assertError(await call(a, 'POST', '/v1/security/text', { token, json }), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('GET /v1/wxacode', { timeout: 60_000 }, () => {
  it('answers the image WeChat sent, cached in the store: the same parameters never call WeChat twice, on any node; ETag and 304', async () => {
    const { token } = await user('sharer');
    const before = (await emulatorStats(emu)).getwxacodeunlimit;
    const first = await wxacode(a, token, 'scene=id%3D42&page=pages/item/detail&width=300');
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...first.bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.ok(
      first.bytes.includes(Buffer.from('scene=id=42;page=pages/item/detail;width=300')),
      'the bytes WeChat made for these parameters',
    );
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await wxacode(b, token, 'scene=id%3D42&page=pages/item/detail&width=300');
    assert.ok(again.bytes.equals(first.bytes), 'the other node serves the same image');
    assert.equal(again.headers.etag, etag);
    assert.equal((await emulatorStats(emu)).getwxacodeunlimit - before, 1, 'WeChat was asked once');
    const notModified = await wxacode(a, token, 'scene=id%3D42&page=pages/item/detail&width=300', { 'if-none-match': etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.bytes.length, 0);
    const other = await wxacode(a, token, 'scene=id%3D42&page=pages/item/detail');
    assert.ok(other.bytes.includes(Buffer.from('width=430')), "width defaults to WeChat's 430");
    assert.notEqual(other.headers.etag, etag);
    assert.equal((await emulatorStats(emu)).getwxacodeunlimit - before, 2);
  });

  it('many first requests for one image at once, on both nodes, call WeChat once', async () => {
    const { token } = await user('sharer-burst');
    const before = (await emulatorStats(emu)).getwxacodeunlimit;
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => wxacode(i % 2 ? a : b, token, 'scene=burst&width=500')));
    assert.deepEqual(
      all.map((r) => r.status),
      Array(8).fill(200),
    );
    assert.ok(all.every((r) => r.bytes.equals(all[0]!.bytes) && r.headers.etag === all[0]!.headers.etag));
    assert.equal((await emulatorStats(emu)).getwxacodeunlimit - before, 1);
  });

  it("WeChat's 45009 is 429 WECHAT_RATE_LIMITED with Retry-After; an unpublished page is 400; bad parameters are 400", async () => {
    const { token } = await user('sharer-errors');
    await injectErrcode(emu, 'getwxacodeunlimit', 45009);
    const limited = await call(a, 'GET', '/v1/wxacode?scene=limited', { token });
    assertError(limited, 429, 'WECHAT_RATE_LIMITED');
    assert.equal(limited.headers['retry-after'], '60');
    assert.equal((await wxacode(a, token, 'scene=limited')).status, 200, 'a refusal is not cached');
    assertError(await call(a, 'GET', '/v1/wxacode?scene=x&page=unpublished/page', { token }), 400, 'VALIDATION_FAILED');
    for (const query of [
      '',
      'scene=',
      `scene=${'a'.repeat(33)}`,
      'scene=%E4%B8%AD',
      'scene=a%25b',
      'scene=a%20b',
      'scene=a&page=/pages/index',
      'scene=a&page=pages/index?x=1',
      'scene=a&width=279',
      'scene=a&width=1281',
      'scene=a&width=big',
      'scene=a&other=1',
    ]) {
      assertError(await call(a, 'GET', `/v1/wxacode?${query}`, { token }), 400, 'VALIDATION_FAILED');
    }
    assertError(await call(a, 'GET', '/v1/wxacode?scene=a'), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /v1/admin/wechat/subscribe-message', { timeout: 60_000 }, () => {
  const template = 'tmplOrderShipped_000000000000000000000001';
  const data = { thing1: { value: 'Your order shipped' }, time2: { value: '2026-12-05 10:00' } };

  it("sends to a user who subscribed and answers WeChat's 64-bit msgid with every digit", async () => {
    const { openid } = await user('subscriber');
    await subscribe(emu, openid, template);
    const sent = await call<{ msgid: string }>(a, 'POST', '/v1/admin/wechat/subscribe-message', {
      headers: admin,
      json: { touser: openid, template_id: template, page: 'pages/order/detail?id=7', data },
    });
    assert.equal(sent.status, 200, sent.text);
    const msgid = sent.body.msgid;
    assert.match(msgid, /^\d+$/);
    assert.ok(BigInt(msgid) > 2n ** 53n, `${msgid} is above 2^53`);
    const [record] = (await sentMessages(emu)).slice(-1);
    assert.equal(msgid, record!.msgid, 'exactly the digits WeChat sent');
    assert.deepEqual(
      { ...record, msgid: undefined },
      {
        msgid: undefined,
        touser: openid,
        template_id: template,
        page: 'pages/order/detail?id=7',
        data,
        miniprogram_state: 'formal',
      },
    );
  });

  it("43101 (no subscription left) is 409 SUBSCRIPTION_REFUSED; WeChat's refusals of the request are 400; no admin key is 403", async () => {
    const { openid } = await user('unsubscribed');
    const other = await user('template-owner');
    await subscribe(emu, other.openid, template);
    assertError(
      await call(b, 'POST', '/v1/admin/wechat/subscribe-message', {
        headers: admin,
        json: { touser: openid, template_id: template, data },
      }),
      409,
      'SUBSCRIPTION_REFUSED',
    );
    assertError(
      await call(b, 'POST', '/v1/admin/wechat/subscribe-message', {
        headers: admin,
        json: { touser: 'oUnknownUser000000000000000', template_id: template, data },
      }),
      400,
      'VALIDATION_FAILED',
    );
    assertError(
      await call(b, 'POST', '/v1/admin/wechat/subscribe-message', {
        headers: admin,
        json: { touser: openid, template_id: 'noSuchTemplate', data },
      }),
      400,
      'VALIDATION_FAILED',
    );
    for (const json of [
      { touser: openid, template_id: template },
      { touser: openid, template_id: template, data: {} },
      { touser: openid, template_id: template, data: { 'no-digits': { value: 'x' } } },
      { touser: openid, template_id: template, data: { thing1: 'x' } },
      { touser: openid, template_id: template, data, miniprogram_state: 'beta' },
      { touser: 'has space', template_id: template, data },
      { touser: openid, template_id: template, data, page: '/leading/slash' },
      { touser: openid, template_id: template, data, lang: 'en_US' },
    ]) {
      assertError(await call(a, 'POST', '/v1/admin/wechat/subscribe-message', { headers: admin, json }), 400, 'VALIDATION_FAILED');
    }
    assertError(
      await call(a, 'POST', '/v1/admin/wechat/subscribe-message', { json: { touser: openid, template_id: template, data } }),
      403,
      'FORBIDDEN',
    );
  });
});

describe('one WeChat client for every call on the access_token', { timeout: 60_000 }, () => {
  it('-1 (system busy) once: retried after a back-off and answered; twice: 502 UPSTREAM_UNAVAILABLE', async () => {
    const { token } = await user('busy');
    let before = (await emulatorStats(emu)).msg_sec_check;
    await injectErrcode(emu, 'msg_sec_check', -1);
    assert.equal((await call(a, 'POST', '/v1/security/text', { token, json: { content: 'hi' } })).status, 200);
    assert.equal((await emulatorStats(emu)).msg_sec_check - before, 2);
    before = (await emulatorStats(emu)).msg_sec_check;
    await injectErrcode(emu, 'msg_sec_check', -1, 2);
    const failed = await call(a, 'POST', '/v1/security/text', { token, json: { content: 'hi' } });
    assertError(failed, 502, 'UPSTREAM_UNAVAILABLE');
    assert.doesNotMatch(failed.text, /errcode|system error|127\.0\.0\.1/, "nothing of WeChat's answer reaches the client");
    assert.equal((await emulatorStats(emu)).msg_sec_check - before, 2, 'one retry, not more');
  });

  it('42001 (expired token): one refresh, the call retried once and answered; 40001 again after the refresh: 502', async () => {
    const { token } = await user('token-user');
    const before = await emulatorStats(emu);
    await expireTokens(emu);
    assert.equal((await call(b, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13700137000:a' } })).status, 200);
    const after = await emulatorStats(emu);
    assert.equal(after.stable_token - before.stable_token, 1);
    assert.equal(after.getuserphonenumber - before.getuserphonenumber, 2);
    await injectErrcode(emu, 'getuserphonenumber', 40001, 2);
    assertError(await call(b, 'POST', '/v1/me/phone', { token, json: { code: 'devphone:86-13700137000:b' } }), 502, 'UPSTREAM_UNAVAILABLE');
    assert.equal((await emulatorStats(emu)).getuserphonenumber - after.getuserphonenumber, 2, 'retried once only');
  });

  it('an errcode the call does not expect is 502; WeChat slower than the timeout is 504 UPSTREAM_TIMEOUT', async () => {
    const { token } = await user('slow');
    await injectErrcode(emu, 'getwxacodeunlimit', 48001);
    assertError(await call(a, 'GET', '/v1/wxacode?scene=unexpected', { token }), 502, 'UPSTREAM_UNAVAILABLE');
    await setFaults(emu, { delayMs: 1_500 });
    try {
      const t0 = Date.now();
      assertError(await call(a, 'POST', '/v1/security/text', { token, json: { content: 'slow' } }), 504, 'UPSTREAM_TIMEOUT');
      assert.ok(Date.now() - t0 < 1_500, `gave up after ${Date.now() - t0} ms`);
    } finally {
      await resetEmulator(emu);
    }
  });
});

describe('metrics', () => {
  /** The sum over both nodes of the series whose line starts with `prefix`. */
  async function metric(prefix: string): Promise<number> {
    let sum = 0;
    for (const node of [a, b]) {
      const text = (await rawCall(node, 'GET', '/metrics')).text;
      for (const line of text.split('\n')) if (line.startsWith(prefix)) sum += Number(line.split(' ').at(-1));
    }
    return sum;
  }

  it('count WeChat calls by call and outcome, and token fetches by reason and force', async () => {
    assert.ok((await metric('miniscale_wechat_calls_total{call="/wxa/msg_sec_check",outcome="ok"')) >= 5);
    assert.ok((await metric('miniscale_wechat_calls_total{call="/wxa/msg_sec_check",outcome="UPSTREAM_UNAVAILABLE"')) >= 1);
    assert.ok((await metric('miniscale_wechat_calls_total{call="/wxa/getwxacodeunlimit",outcome="WECHAT_RATE_LIMITED"')) >= 1);
    assert.equal(await metric('miniscale_wechat_token_fetches_total{reason="rejected",forced="false"'), 1, 'the one refresh after 42001');
    assert.equal(await metric('miniscale_wechat_token_fetches_total{reason="due",forced="false"'), 1, 'the first fetch at start-up');
  });
});

describe('session_key', () => {
  it('appears in no answer of these routes: no body, no header', () => {
    assert.ok(answers.length > 60, `${answers.length} answers looked at`);
    assert.ok(sessionKeys.size >= 10);
    for (const key of sessionKeys) {
      const forms = [key, Buffer.from(key, 'base64').toString('hex'), Buffer.from(key, 'base64').toString('base64url')];
      for (const answer of answers) {
        const seen = JSON.stringify(answer.headers) + answer.text;
        for (const form of forms) assert.ok(!seen.includes(form), `session_key (${form.slice(0, 6)}…) in an answer`);
      }
    }
  });
});
