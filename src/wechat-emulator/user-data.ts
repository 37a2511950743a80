/**
 * What WeChat's client gives a mini program as user data (wx.getUserInfo,
 * wx.getWeRunData…): the data encrypted with the user's session_key, and signed. The
 * emulator stands in for the client here (`POST /_emulator/encrypt`), so a server's
 * decryption can be tested end to end. WeChat's scheme: AES-128-CBC with key =
 * base64-decoded session_key and a random 16-byte IV, PKCS#7 padding; the plaintext
 * carries `watermark: {timestamp, appid}`; `signature` = hex sha1(rawData + session_key).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface EncryptedUserData {
  encryptedData: string;
  iv: string;
  rawData: string;
  signature: string;
}

export function encryptUserData(sessionKey: string, data: Record<string, unknown>, appid: string, now = Date.now()): EncryptedUserData {
  const iv = randomBytes(16);
  const plain = JSON.stringify({ ...data, watermark: { timestamp: Math.floor(now / 1000), appid } });
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
  const encrypted = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const rawData = JSON.stringify(data);
  return {
    encryptedData: encrypted.toString('base64'),
    iv: iv.toString('base64'),
    rawData,
    signature: createHash('sha1')
      .update(rawData + sessionKey, 'utf8')
      .digest('hex'),
  };
}
