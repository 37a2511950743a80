/**
 * The checks of WeChat's answers (src/api/wechat/wechat-answers.ts) and of user data
 * (user-data.ts), on answers the emulator never gives: nothing malformed gets through.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { msgidOf, phoneNumberOf, textCheckOf, wxacodeImageOf } from '../../src/api/wechat/wechat-answers.js';
import { checkSignature, decryptUserData } from '../../src/api/wechat/user-data.js';

const json = (text: string) => ({ text, body: JSON.parse(text) as Record<string, unknown> });
const upstream = { code: 'UPSTREAM_UNAVAILABLE' };

describe('msgidOf', () => {
  it('keeps every digit of a 64-bit msgid that JSON.parse would round', () => {
    const text = '{"errcode":0,"errmsg":"ok","msgid":18446744073709551615}';
    assert.equal(msgidOf(json(text)), '18446744073709551615');
    assert.notEqual(String(JSON.parse(text).msgid), '18446744073709551615', 'the number itself is rounded');
    assert.equal(msgidOf(json('{ "msgid" : 2305843009213693953 , "errcode":0}')), '2305843009213693953');
  });

  it('is not fooled by "msgid" inside a string, and refuses what is not one unsigned 64-bit integer', () => {
    assert.equal(msgidOf(json('{"errmsg":"x \\"msgid\\":1,","msgid":9007199254740993}')), '9007199254740993');
    for (const text of [
      '{"msgid":"123"}',
      '{"msgid":-5}',
      '{"msgid":18446744073709551616}',
      '{"msgid":1.5}',
      '{"errcode":0}',
      '{"msgid":1,"x":{"msgid":2}}',
    ]) {
      assert.throws(() => msgidOf(json(text)), upstream, text);
    }
  });
});

describe('phoneNumberOf / textCheckOf / wxacodeImageOf', () => {
  const info = (over: Record<string, unknown>) =>
    json(
      JSON.stringify({
        errcode: 0,
        phone_info: {
          phoneNumber: '13800138000',
          purePhoneNumber: '13800138000',
          countryCode: 86,
          watermark: { appid: 'wxA', timestamp: 1 },
          ...over,
        },
      }),
    );

  it('takes a phone_info whose watermark names this app; countryCode as a string', () => {
    assert.deepEqual(phoneNumberOf(info({}), 'wxA'), { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
    assert.throws(() => phoneNumberOf(info({}), 'wxB'), upstream);
    for (const bad of [{ phoneNumber: '<script>' }, { purePhoneNumber: 138 }, { countryCode: '+86' }, { watermark: null }]) {
      assert.throws(() => phoneNumberOf(info(bad), 'wxA'), upstream, JSON.stringify(bad));
    }
  });

  it('takes a result with a known suggest and an integer label', () => {
    assert.deepEqual(textCheckOf(json('{"result":{"suggest":"risky","label":20001}}')), { suggest: 'risky', label: 20001 });
    for (const text of ['{}', '{"result":{"suggest":"maybe","label":1}}', '{"result":{"suggest":"pass","label":"100"}}']) {
      assert.throws(() => textCheckOf(json(text)), upstream, text);
    }
  });

  it('takes image bytes only when they are the type WeChat labelled them with', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]);
    assert.equal(wxacodeImageOf('image/jpeg; charset=binary', jpeg).contentType, 'image/jpeg');
    assert.throws(() => wxacodeImageOf('image/png', jpeg), upstream);
    assert.throws(() => wxacodeImageOf('text/html', Buffer.from('<html>')), upstream);
    assert.throws(() => wxacodeImageOf('image/jpeg', Buffer.from([0xff, 0xd8, 0xff])), upstream, 'nothing after the signature');
  });
});

describe('decryptUserData / checkSignature', () => {
  const key = randomBytes(16);
  const seal = (plain: string) => {
    const iv = randomBytes(16);
    const c = createCipheriv('aes-128-cbc', key, iv);
    return { data: Buffer.concat([c.update(plain), c.final()]).toString('base64'), iv: iv.toString('base64') };
  };
  const failed = { code: 'DECRYPT_FAILED' };

  it('answers the object without its watermark, and only for this app', () => {
    const s = seal(JSON.stringify({ a: [1], watermark: { appid: 'wxA', timestamp: 1 } }));
    assert.deepEqual(decryptUserData(key.toString('base64'), s.data, s.iv, 'wxA'), { a: [1] });
    assert.throws(() => decryptUserData(key.toString('base64'), s.data, s.iv, 'wxB'), failed);
    assert.throws(() => decryptUserData(randomBytes(16).toString('base64'), s.data, s.iv, 'wxA'), failed, 'another session_key');
    for (const plain of ['[1]', 'not json', JSON.stringify({ a: 1 })]) {
      const x = seal(plain);
      assert.throws(() => decryptUserData(key.toString('base64'), x.data, x.iv, 'wxA'), failed, plain);
    }
  });

  it('checks signature = sha1(rawData + session_key) in hex, either case', () => {
    const sk = key.toString('base64');
    const sig = '4ad8cfbc6e0ebd4b5bcf1d1a7a3d5e26e2c0f5d2';
    assert.throws(() => checkSignature('{}', sig, sk), { code: 'SIGNATURE_INVALID' });
    const right = (raw: string) =>
      createHash('sha1')
        .update(raw + sk, 'utf8')
        .digest('hex');
    assert.doesNotThrow(() => checkSignature('{"x":1}', right('{"x":1}'), sk));
    assert.doesNotThrow(() => checkSignature('{"x":1}', right('{"x":1}').toUpperCase(), sk));
  });
});
