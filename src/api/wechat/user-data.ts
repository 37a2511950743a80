/**
 * The user data a mini program gets from WeChat's client encrypted (`encryptedData` +
 * `iv`, e.g. from wx.getUserInfo or wx.getWeRunData) or signed (`rawData` + `signature`),
 * opened with the user's `session_key`, which only this server holds. WeChat's scheme:
 * AES-128-CBC, key = base64-decoded session_key, IV = base64-decoded iv, PKCS#7 padding;
 * the plaintext is JSON whose `watermark.appid` names the app it was made for; the
 * signature is hex sha1(rawData + session_key).
 */
import { DecryptFailedError, SignatureInvalidError } from '../../core/errors.js';
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import type { JsonObject } from '../../store/index.js';

const KEY_BYTES = 16;

/** The decrypted JSON object without its watermark; DECRYPT_FAILED for anything else. */
export function decryptUserData(sessionKey: string, encryptedData: string, iv: string, appid: string): JsonObject {
  const key = Buffer.from(typeof sessionKey === 'string' ? sessionKey : '', 'base64');
  const ivBytes = Buffer.from(iv, 'base64');
  if (key.length !== KEY_BYTES) throw new DecryptFailedError('this session cannot decrypt data: sign in again');
  if (ivBytes.length !== KEY_BYTES) throw new DecryptFailedError('iv must be 16 bytes in base64');
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, ivBytes);
    plain = Buffer.concat([decipher.update(Buffer.from(encryptedData, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // Wrong key (an older session_key), wrong iv or damaged data: the padding does not check.
    throw new DecryptFailedError('encryptedData does not decrypt with this session: it was made for another session or is damaged');
  }
  let data: unknown;
  try {
    data = JSON.parse(plain);
  } catch {
    throw new DecryptFailedError('encryptedData decrypts to something that is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new DecryptFailedError('encryptedData decrypts to JSON that is not an object');
  const { watermark, ...rest } = data as Record<string, unknown>;
  if (typeof watermark !== 'object' || watermark === null || (watermark as Record<string, unknown>).appid !== appid) {
    throw new DecryptFailedError('encryptedData was not made for this app (watermark.appid)');
  }
  return rest as JsonObject;
}

/** Throws SIGNATURE_INVALID unless `signature` is sha1(rawData + sessionKey), in constant time. */
export function checkSignature(rawData: string, signature: string, sessionKey: string): void {
  const expected = createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest();
  const given = /^[0-9a-fA-F]{40}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureInvalidError('signature is not sha1(rawData + session_key) for this session');
  }
}
