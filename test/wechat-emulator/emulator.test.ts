/**
 * The WeChat emulator speaks WeChat's protocol: jscode2session's codes and errcodes,
 * /cgi-bin/token's "a new token invalidates the previous one 5 minutes later",
 * stable_token's "the same token while valid; force_refresh replaces it", and the
 * 40001/42001 answers of an API called with a bad token. In-process emulators, real HTTP.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { devOpenid } from '../../src/wechat-emulator/index.js';
import { APPID, closeAll, getJson, login, postJson, SECRET, stableToken, startEmu, stats, token, tokenErrcode } from './helpers.js';

after(closeAll);

describe('jscode2session', { timeout: 30_000 }, () => {
  it('maps every code of one NAME to one WeChat-looking openid, different NAMEs to different ones', async () => {
    const { url } = await startEmu();
    const a1 = await login(url, 'dev:alice');
    const a2 = await login(url, 'dev:alice:second');
    const a3 = await login(url, 'dev:alice:third:with:colons');
    const b = await login(url, 'dev:bob:1');
    assert.match(a1.openid ?? '', /^o[A-Za-z0-9_-]{27}$/);
    assert.equal(a2.openid, a1.openid);
    assert.equal(a3.openid, a1.openid);
    assert.notEqual(b.openid, a1.openid);
    assert.equal(a1.openid, devOpenid(APPID, 'alice'), 'stable across runs: derived from appid + NAME');
    assert.equal(a1.errcode, undefined);
    // session_key: base64 of 16 random bytes, new on every login.
    assert.equal(Buffer.from(a1.session_key ?? '', 'base64').length, 16);
    assert.notEqual(a1.session_key, a2.session_key);
    // unionid: the same person across apps, so it does not depend on the appid.
    assert.match(a1.unionid ?? '', /^o[A-Za-z0-9_-]{27}$/);
    assert.notEqual(a1.unionid, a1.openid);
  });

  it('a code works once (40163), anything not a dev code is 40029, dev:blocked… is 40226', async () => {
    const { url } = await startEmu();
    assert.ok((await login(url, 'dev:carol:once')).openid);
    const again = await login(url, 'dev:carol:once');
    assert.equal(again.errcode, 40163);
    assert.match(again.errmsg ?? '', /^code been used rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    assert.equal(again.openid, undefined);
    for (const bad of ['071abcDEF', 'dev:', 'dev::x', 'DEV:carol', 'dev:has space', `dev:${'x'.repeat(300)}`]) {
      const r = await login(url, bad);
      assert.equal(r.errcode, 40029, bad);
      assert.match(r.errmsg ?? '', /^invalid code/);
    }
    for (const blocked of ['dev:blocked', 'dev:blocked-user', 'dev:blockedX:1']) {
      const r = await login(url, blocked);
      assert.equal(r.errcode, 40226, blocked);
      assert.match(r.errmsg ?? '', /^code blocked/);
    }
    assert.ok((await login(url, 'dev:unblocked')).openid, 'only NAMEs that start with "blocked"');
  });

  it('checks credentials (40013 appid, 40125 secret) and parameters (41002, 41004, 41008, 40002), always with HTTP 200', async () => {
    const { url } = await startEmu();
    assert.equal((await login(url, 'dev:dan:1', { appid: 'wx0000000000000000' })).errcode, 40013);
    assert.equal((await login(url, 'dev:dan:2', { secret: 'wrong' })).errcode, 40125);
    assert.equal((await login(url, 'dev:dan:3', { grant_type: 'client_credential' })).errcode, 40002);
    const missing = async (omit: string) => {
      const q: Record<string, string> = { appid: APPID, secret: SECRET, js_code: 'dev:dan:4', grant_type: 'authorization_code' };
      delete q[omit];
      const r = await getJson(url, '/sns/jscode2session', q);
      assert.equal(r.status, 200);
      return r.body.errcode;
    };
    assert.equal(await missing('appid'), 41002);
    assert.equal(await missing('secret'), 41004);
    assert.equal(await missing('js_code'), 41008);
    assert.equal(await missing('grant_type'), 40002);
    // None of the rejected calls used the code up.
    assert.ok((await login(url, 'dev:dan:1')).openid);
  });

  it('allows 100 logins a minute per user (the default), answers 45011 to the 101st, other users unaffected', async () => {
    const { url } = await startEmu();
    for (let i = 0; i < 100; i++) {
      const r = await login(url, `dev:eve:${i}`);
      assert.ok(r.openid, `login ${i + 1}: ${JSON.stringify(r)}`);
    }
    const over = await login(url, 'dev:eve:101');
    assert.equal(over.errcode, 45011);
    assert.match(over.errmsg ?? '', /^api minute-quota reach limit/);
    assert.ok((await login(url, 'dev:frank:1')).openid);
    // A refused login does not use up its code: after the window is reset, it works.
    await postJson(url, '/_emulator/reset');
    assert.ok((await login(url, 'dev:eve:101')).openid);
  });

  it('honours a configured limit', async () => {
    const { url } = await startEmu({ loginLimitPerMinute: 3 });
    const codes = [1, 2, 3, 4].map((i) => `dev:gina:${i}`);
    const results = [];
    for (const code of codes) results.push((await login(url, code)).errcode ?? 0);
    assert.deepEqual(results, [0, 0, 0, 45011]);
  });
});

describe('/cgi-bin/token', { timeout: 30_000 }, () => {
  it('issues a new token on every call; the previous one keeps working for invalidateAfterSec, then 40001', async () => {
    const { url } = await startEmu({ invalidateAfterSec: 1 });
    const t1 = await token(url);
    assert.equal(t1.expires_in, 7200);
    assert.ok((t1.access_token ?? '').length >= 64);
    assert.equal(await tokenErrcode(url, t1.access_token!), 0);
    const t2 = await token(url);
    assert.notEqual(t2.access_token, t1.access_token);
    assert.equal(await tokenErrcode(url, t1.access_token!), 0, 'the old token still works during the handover');
    assert.equal(await tokenErrcode(url, t2.access_token!), 0);
    await sleep(1_100);
    assert.equal(await tokenErrcode(url, t1.access_token!), 40001);
    assert.equal(await tokenErrcode(url, t2.access_token!), 0);
  });

  it('checks credentials and grant_type', async () => {
    const { url } = await startEmu();
    assert.equal((await token(url, { appid: 'wxnope' })).errcode, 40013);
    assert.equal((await token(url, { secret: 'nope' })).errcode, 40125);
    assert.equal((await token(url, { grant_type: 'authorization_code' })).errcode, 40002);
    assert.equal((await getJson(url, '/cgi-bin/token', { grant_type: 'client_credential', secret: SECRET })).body.errcode, 41002);
    assert.equal((await getJson(url, '/cgi-bin/token', { grant_type: 'client_credential', appid: APPID })).body.errcode, 41004);
  });
});

describe('/cgi-bin/stable_token', { timeout: 30_000 }, () => {
  it('returns the same token while it is valid and invalidates nothing; isolated from /cgi-bin/token', async () => {
    const { url } = await startEmu({ invalidateAfterSec: 0 });
    const s1 = await stableToken(url);
    assert.equal(s1.expires_in, 7200);
    const s2 = await stableToken(url, false);
    assert.equal(s2.access_token, s1.access_token);
    assert.ok(s2.expires_in! <= 7200 && s2.expires_in! >= 7199, 'expires_in is the time left');
    // /cgi-bin/token calls (even with immediate invalidation) do not touch stable tokens.
    const t1 = await token(url);
    await token(url);
    assert.equal(await tokenErrcode(url, t1.access_token!), 40001);
    assert.equal(await tokenErrcode(url, s1.access_token!), 0);
    assert.equal((await stableToken(url)).access_token, s1.access_token);
  });

  it('force_refresh issues a new token and the previous one stops working at once; not again within 30 s', async () => {
    const { url } = await startEmu();
    const s1 = await stableToken(url);
    const s2 = await stableToken(url, true);
    assert.notEqual(s2.access_token, s1.access_token);
    assert.equal(s2.expires_in, 7200);
    assert.equal(await tokenErrcode(url, s1.access_token!), 40001);
    assert.equal(await tokenErrcode(url, s2.access_token!), 0);
    // "Consecutive force refreshes must be 30 s apart, otherwise no refresh happens."
    assert.equal((await stableToken(url, true)).access_token, s2.access_token);
    assert.equal(await tokenErrcode(url, s2.access_token!), 0);
  });

  it('force_refresh is limited to 20 a day (45009)', async () => {
    const { url } = await startEmu({ forceRefreshIntervalSec: 0 });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await stableToken(url, true)).access_token ?? `error ${i}`);
    assert.equal(seen.size, 20);
    assert.equal((await stableToken(url, true)).errcode, 45009);
    assert.ok((await stableToken(url, false)).access_token, 'normal mode still works');
  });

  it("renews early: in the last stretch of a token's life a normal call gets a new one, and the old one lives on until it expires", async () => {
    // 2 s tokens: renewed in their last 0.5 s (WeChat: the last 5 of 120 minutes, at most 1/4 here).
    const { url } = await startEmu({ tokenTtlSec: 2 });
    const s1 = await stableToken(url);
    await sleep(1_600);
    const s2 = await stableToken(url);
    assert.notEqual(s2.access_token, s1.access_token);
    assert.equal(s2.expires_in, 2);
    assert.equal(await tokenErrcode(url, s1.access_token!), 0, 'old and new both work during the handover');
    await sleep(500);
    assert.equal(await tokenErrcode(url, s1.access_token!), 42001);
    assert.equal(await tokenErrcode(url, s2.access_token!), 0);
  });

  it('rejects bad requests the way WeChat does', async () => {
    const { url } = await startEmu();
    assert.equal((await stableToken(url, undefined, { appid: 'wxnope' })).errcode, 40013);
    assert.equal((await stableToken(url, undefined, { secret: 'nope' })).errcode, 40125);
    assert.equal((await stableToken(url, undefined, { grant_type: 'password' })).errcode, 40002);
    assert.equal((await stableToken(url, undefined, { appid: undefined })).errcode, 41002);
    assert.equal((await stableToken(url, undefined, { force_refresh: 'yes' })).errcode, 47001);
    const notJson = await postJson(url, '/cgi-bin/stable_token', undefined, '{"grant_type":');
    assert.deepEqual([notJson.status, notJson.body.errcode], [200, 47001]);
    const tooBig = await postJson(url, '/cgi-bin/stable_token', { pad: 'x'.repeat(100_000) });
    assert.deepEqual([tooBig.status, tooBig.body.errcode], [200, 47001]);
    assert.equal((await getJson(url, '/cgi-bin/stable_token')).body.errcode, 43002, 'POST only');
  });
});

describe('an API called with an access_token (getcallbackip)', { timeout: 30_000 }, () => {
  it('answers ip_list for a good token, 41001 without one, 40001 for an unknown one', async () => {
    const { url } = await startEmu();
    const good = await getJson(url, '/cgi-bin/getcallbackip', { access_token: (await stableToken(url)).access_token! });
    assert.ok(Array.isArray(good.body.ip_list) && good.body.ip_list.length > 0);
    assert.equal((await getJson(url, '/cgi-bin/getcallbackip')).body.errcode, 41001);
    const unknown = await getJson(url, '/cgi-bin/getcallbackip', { access_token: 'nope' });
    assert.equal(unknown.body.errcode, 40001);
    assert.match(unknown.body.errmsg ?? '', /^invalid credential, access_token is invalid or not latest/);
  });

  it('expire-tokens makes every token answer 42001; a fresh fetch works again', async () => {
    const { url } = await startEmu();
    const s = (await stableToken(url)).access_token!;
    const t = (await token(url)).access_token!;
    const res = await postJson<{ expired: number }>(url, '/_emulator/expire-tokens');
    assert.equal(res.body.expired, 2);
    for (const tok of [s, t]) {
      const r = await getJson(url, '/cgi-bin/getcallbackip', { access_token: tok });
      assert.equal(r.body.errcode, 42001);
      assert.match(r.body.errmsg ?? '', /^access_token expired/);
    }
    const s2 = (await stableToken(url)).access_token!;
    assert.notEqual(s2, s, 'normal mode replaces a token that no longer works');
    assert.equal(await tokenErrcode(url, s2), 0);
    // force_refresh right after works too: the 30 s rule only protects a working token.
    await postJson(url, '/_emulator/expire-tokens');
    const s3 = (await stableToken(url, true)).access_token!;
    assert.notEqual(s3, s2);
    assert.equal(await tokenErrcode(url, s3), 0);
  });
});

describe('/_emulator/stats', { timeout: 30_000 }, () => {
  it('counts every call per endpoint, answered well or not; reset zeroes the counters', async () => {
    const { url } = await startEmu();
    assert.deepEqual(await stats(url), {
      jscode2session: 0,
      token: 0,
      stable_token: 0,
      getcallbackip: 0,
      getuserphonenumber: 0,
      msg_sec_check: 0,
      getwxacodeunlimit: 0,
      subscribe_send: 0,
      stable_token_force: 0,
    });
    await login(url, 'dev:hal:1');
    await login(url, 'dev:hal:1');
    await login(url, 'garbage');
    await token(url);
    await token(url, { secret: 'wrong' });
    const s = (await stableToken(url)).access_token!;
    await tokenErrcode(url, s);
    await tokenErrcode(url, 'nope');
    await tokenErrcode(url, 'nope');
    assert.deepEqual(await stats(url), {
      jscode2session: 3,
      token: 2,
      stable_token: 1,
      getcallbackip: 3,
      getuserphonenumber: 0,
      msg_sec_check: 0,
      getwxacodeunlimit: 0,
      subscribe_send: 0,
      stable_token_force: 0,
    });
    assert.deepEqual((await postJson(url, '/_emulator/reset')).body, { ok: true });
    assert.deepEqual(await stats(url), {
      jscode2session: 0,
      token: 0,
      stable_token: 0,
      getcallbackip: 0,
      getuserphonenumber: 0,
      msg_sec_check: 0,
      getwxacodeunlimit: 0,
      subscribe_send: 0,
      stable_token_force: 0,
    });
    assert.equal(await tokenErrcode(url, s), 0, 'reset keeps tokens');
    assert.equal((await login(url, 'dev:hal:1')).errcode, 40163, 'reset keeps used codes used');
  });

  it('answers 404 for paths it does not implement', async () => {
    const { url } = await startEmu();
    assert.equal((await getJson(url, '/cgi-bin/message/custom/send')).status, 404);
    assert.equal((await getJson(url, '/_emulator/nothing')).status, 404);
  });
});
