/**
 * The emulator's WeChat platform calls, spoken directly: WeChat's paths, body fields,
 * answers and errcodes for getuserphonenumber, msg_sec_check (version 2),
 * getwxacodeunlimit and subscribeMessage.send; the access_token check they share; and
 * the knobs tests drive them with (errcode injection, subscription taps, encrypted data).
 */
import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { closeAll, getJson, login, postJson, stableToken, startEmu, stats, type WxBody } from './helpers.js';

after(closeAll);

type Answer = WxBody & Record<string, unknown>;

async function withToken(base: string): Promise<string> {
  return (await stableToken(base)).access_token!;
}

async function api(base: string, path: string, token: string | undefined, json: unknown): Promise<Answer> {
  return (await postJson<Answer>(base, `${path}${token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`}`, json)).body;
}

describe('the access_token every platform call takes', { timeout: 30_000 }, () => {
  it('41001 without one, 40001 for an unknown one, 42001 for an expired one', async () => {
    const { url } = await startEmu();
    const token = await withToken(url);
    for (const path of [
      '/wxa/business/getuserphonenumber',
      '/wxa/msg_sec_check',
      '/wxa/getwxacodeunlimit',
      '/cgi-bin/message/subscribe/send',
    ]) {
      assert.equal((await api(url, path, undefined, {})).errcode, 41001, path);
      assert.equal((await api(url, path, 'nope', {})).errcode, 40001, path);
    }
    await postJson(url, '/_emulator/expire-tokens');
    assert.equal((await api(url, '/wxa/msg_sec_check', token, {})).errcode, 42001);
  });
});

describe('POST /wxa/business/getuserphonenumber', { timeout: 30_000 }, () => {
  it("answers phone_info with WeChat's fields for a devphone: code, once; anything else is 40029", async () => {
    const { url } = await startEmu();
    const token = await withToken(url);
    const ok = await api(url, '/wxa/business/getuserphonenumber', token, { code: 'devphone:852-61234567:1' });
    assert.equal(ok.errcode, 0);
    assert.equal(ok.errmsg, 'ok');
    const info = ok.phone_info as Record<string, unknown>;
    assert.deepEqual(
      { ...info, watermark: undefined },
      { phoneNumber: '+85261234567', purePhoneNumber: '61234567', countryCode: '852', watermark: undefined },
    );
    assert.equal((info.watermark as { appid: string }).appid, 'wxemutestappid01');
    assert.ok(Math.abs((info.watermark as { timestamp: number }).timestamp - Date.now() / 1000) < 5);
    assert.equal(
      (await api(url, '/wxa/business/getuserphonenumber', token, { code: 'devphone:852-61234567:1' })).errcode,
      40029,
      'a code works once',
    );
    assert.equal((await api(url, '/wxa/business/getuserphonenumber', token, { code: 'dev:alice' })).errcode, 40029);
    assert.equal((await api(url, '/wxa/business/getuserphonenumber', token, {})).errcode, 41008);
    assert.equal((await api(url, '/wxa/business/getuserphonenumber', token, undefined)).errcode, 47001, 'the body must be JSON');
  });
});

describe('POST /wxa/msg_sec_check (version 2)', { timeout: 30_000 }, () => {
  it('answers result {suggest, label}, detail and trace_id for an active user; 40003 for an openid not seen in 2 hours', async () => {
    const { url } = await startEmu();
    const token = await withToken(url);
    const { openid } = await login(url, 'dev:writer:1');
    const pass = await api(url, '/wxa/msg_sec_check', token, { version: 2, openid, scene: 2, content: 'hello' });
    assert.equal(pass.errcode, 0);
    assert.deepEqual(pass.result, { suggest: 'pass', label: 100 });
    assert.ok(Array.isArray(pass.detail));
    assert.match(String(pass.trace_id), /^[0-9a-f]+-[0-9a-f]{8}-[0-9a-f]{8}$/);
    assert.deepEqual((await api(url, '/wxa/msg_sec_check', token, { version: 2, openid, scene: 4, content: 'a [risky] b' })).result, {
      suggest: 'risky',
      label: 20001,
    });
    assert.deepEqual((await api(url, '/wxa/msg_sec_check', token, { version: 2, openid, scene: 1, content: '[review]' })).result, {
      suggest: 'review',
      label: 21000,
    });
    assert.equal(
      (await api(url, '/wxa/msg_sec_check', token, { version: 2, openid: 'oNeverSeen000000000000000000', scene: 2, content: 'x' })).errcode,
      40003,
    );
    assert.equal((await api(url, '/wxa/msg_sec_check', token, { version: 2, openid, scene: 5, content: 'x' })).errcode, 40129);
    assert.equal((await api(url, '/wxa/msg_sec_check', token, { version: 2, openid, scene: 2, content: '' })).errcode, 44002);
    assert.equal((await api(url, '/wxa/msg_sec_check', token, { version: 2, openid, scene: 2, content: 'x'.repeat(2501) })).errcode, 47001);
    assert.equal(
      (await api(url, '/wxa/msg_sec_check', token, { openid, scene: 2, content: 'x' })).errcode,
      47001,
      'only version 2 is spoken',
    );
  });
});

describe('POST /wxa/getwxacodeunlimit', { timeout: 30_000 }, () => {
  it('answers image/jpeg bytes on success and JSON errcodes on failure, both HTTP 200', async () => {
    const { url } = await startEmu();
    const token = await withToken(url);
    const post = async (json: unknown) => {
      const res = await request(`${url}/wxa/getwxacodeunlimit?access_token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
      return { status: res.statusCode, type: String(res.headers['content-type']), bytes: Buffer.from(await res.body.arrayBuffer()) };
    };
    const image = await post({ scene: 'a=1', page: 'pages/index/index', width: 280 });
    assert.equal(image.status, 200);
    assert.equal(image.type, 'image/jpeg');
    assert.deepEqual([...image.bytes.subarray(0, 3), ...image.bytes.subarray(-2)], [0xff, 0xd8, 0xff, 0xff, 0xd9], 'a whole JPEG');
    assert.ok(
      (await post({ scene: 'a=1', page: 'pages/index/index', width: 280 })).bytes.equals(image.bytes),
      'the same parameters, the same bytes',
    );
    assert.ok(!(await post({ scene: 'a=2', page: 'pages/index/index', width: 280 })).bytes.equals(image.bytes));
    const errcode = async (json: unknown) => {
      const r = await post(json);
      assert.equal(r.status, 200);
      assert.match(r.type, /^application\/json/);
      return (JSON.parse(r.bytes.toString()) as WxBody).errcode;
    };
    assert.equal(await errcode({ scene: 'x'.repeat(33) }), 40169);
    assert.equal(await errcode({ page: 'pages/index/index' }), 40169);
    assert.equal(await errcode({ scene: 'a', page: 'unpublished/page' }), 41030);
    assert.equal(
      (await post({ scene: 'a', page: 'unpublished/page', check_path: false })).type,
      'image/jpeg',
      'check_path: false allows any page',
    );
    assert.equal(await errcode({ scene: 'a', page: '/pages/index/index' }), 41030);
    assert.equal(await errcode({ scene: 'a', width: 1281 }), 40189);
    assert.equal(await errcode({ scene: 'a', env_version: 'beta' }), 40097);
  });
});

describe('POST /cgi-bin/message/subscribe/send', { timeout: 30_000 }, () => {
  it('sends once per subscription tap and answers a msgid above 2^53 as a JSON integer; 43101, 40037, 40003, 47003 otherwise', async () => {
    const { url } = await startEmu();
    const token = await withToken(url);
    const { openid } = await login(url, 'dev:reader:1');
    const template = 'tmplA';
    const data = { thing1: { value: 'hi' } };
    assert.equal(
      (await api(url, '/cgi-bin/message/subscribe/send', token, { touser: openid, template_id: template, data })).errcode,
      40037,
      'no one subscribed to it: unknown template',
    );
    assert.equal((await postJson(url, '/_emulator/subscribe', { openid, template_id: template, times: 1 })).status, 200);
    const res = await request(`${url}/cgi-bin/message/subscribe/send?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: openid, template_id: template, data, miniprogram_state: 'trial', lang: 'en_US' }),
    });
    const text = await res.body.text();
    const digits = /"msgid":(\d+)\}$/.exec(text)?.[1];
    assert.ok(digits && BigInt(digits) > 2n ** 53n, text);
    assert.equal(JSON.parse(text).errcode, 0);
    const sent = (await getJson<{ messages: Array<{ msgid: string; miniprogram_state: string }> }>(url, '/_emulator/sent-messages')).body
      .messages;
    assert.equal(sent.at(-1)!.msgid, digits);
    assert.equal(sent.at(-1)!.miniprogram_state, 'trial');
    assert.equal(
      (await api(url, '/cgi-bin/message/subscribe/send', token, { touser: openid, template_id: template, data })).errcode,
      43101,
      'the one subscription is used up',
    );
    assert.equal(
      (await api(url, '/cgi-bin/message/subscribe/send', token, { touser: 'oNobody', template_id: template, data })).errcode,
      40003,
    );
    await postJson(url, '/_emulator/subscribe', { openid, template_id: template, times: 2 });
    assert.equal(
      (await api(url, '/cgi-bin/message/subscribe/send', token, { touser: openid, template_id: template, data: {} })).errcode,
      47003,
    );
    assert.equal(
      (await api(url, '/cgi-bin/message/subscribe/send', token, { touser: openid, template_id: template, data: { thing1: { value: '' } } }))
        .errcode,
      47003,
    );
  });
});

describe('test knobs', { timeout: 30_000 }, () => {
  it("/_emulator/fail makes the next N calls of one endpoint answer an errcode, with WeChat's errmsg; reset clears it", async () => {
    const { url } = await startEmu();
    const token = await withToken(url);
    assert.equal((await postJson(url, '/_emulator/fail', { endpoint: 'getwxacodeunlimit', errcode: 45009, times: 2 })).status, 200);
    for (let i = 0; i < 2; i++) {
      const body = await api(url, '/wxa/getwxacodeunlimit', token, { scene: 'a' });
      assert.equal(body.errcode, 45009);
      assert.match(String(body.errmsg), /^reach max api daily quota limit rid: /);
    }
    const other = await api(url, '/wxa/msg_sec_check', 'nope', {});
    assert.equal(other.errcode, 40001, 'other endpoints are not affected');
    await postJson(url, '/_emulator/fail', { endpoint: 'stable_token', errcode: -1 });
    await postJson(url, '/_emulator/reset');
    assert.ok((await stableToken(url)).access_token, 'reset cleared the injection');
    for (const body of [
      { endpoint: 'nope', errcode: 1 },
      { endpoint: 'token', errcode: 0 },
      { endpoint: 'token', errcode: 1, times: 0 },
      { endpoint: 'token', errcode: 1, extra: 1 },
    ]) {
      assert.equal((await postJson(url, '/_emulator/fail', body)).status, 400, JSON.stringify(body));
    }
  });

  it("/_emulator/encrypt seals data as WeChat's client does, with the user's current session_key", async () => {
    const { url } = await startEmu();
    const { openid, session_key: sessionKey } = await login(url, 'dev:sealed:1');
    const { body } = await postJson<{ encryptedData: string; iv: string; rawData: string; signature: string }>(url, '/_emulator/encrypt', {
      openid,
      data: { n: 1 },
    });
    const decipher = createDecipheriv('aes-128-cbc', Buffer.from(sessionKey!, 'base64'), Buffer.from(body.iv, 'base64'));
    const plain = JSON.parse(
      Buffer.concat([decipher.update(Buffer.from(body.encryptedData, 'base64')), decipher.final()]).toString(),
    ) as Record<string, unknown>;
    assert.equal(plain.n, 1);
    assert.equal((plain.watermark as { appid: string }).appid, 'wxemutestappid01');
    assert.equal(body.rawData, '{"n":1}');
    assert.equal(
      body.signature,
      createHash('sha1')
        .update(body.rawData + sessionKey)
        .digest('hex'),
    );
    assert.equal((await getJson<{ session_key: string }>(url, `/_emulator/session-key?openid=${openid}`)).body.session_key, sessionKey);
    assert.equal((await postJson(url, '/_emulator/encrypt', { openid: 'oNobody', data: {} })).status, 404);
    assert.equal((await stats(url)).jscode2session, 1, 'knobs are not WeChat calls');
  });
});
