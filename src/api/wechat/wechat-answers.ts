/**
 * Checks of WeChat's successful answers before anything from them reaches a client:
 * the fields we pass on must have the type and shape WeChat documents, or the answer
 * is treated as the upstream failing (502), never forwarded as it came.
 */
import { UpstreamUnavailableError } from '../../core/errors.js';
import type { WechatJson } from './wechat-client.js';

export interface PhoneNumber {
  /** With the country code for numbers outside mainland China, as WeChat gives it. */
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

export type TextSuggest = 'pass' | 'review' | 'risky';
export interface TextCheck {
  suggest: TextSuggest;
  label: number;
}

export interface WxacodeImage {
  contentType: string;
  bytes: Buffer;
}

const SUGGESTS: ReadonlySet<string> = new Set(['pass', 'review', 'risky']);
/** Magic numbers of the image types WeChat answers with. */
const IMAGE_SIGNATURES: Record<string, Buffer> = {
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
};
/** An unsigned 64-bit integer: msgid is one. */
const MAX_UINT64 = (1n << 64n) - 1n;

/** `phone_info` of getuserphonenumber; its watermark must name this app. */
export function phoneNumberOf(json: WechatJson, appid: string): PhoneNumber {
  const info = json.body.phone_info as Record<string, unknown> | undefined;
  const watermark = info?.watermark as Record<string, unknown> | undefined;
  if (!info || typeof info !== 'object' || !watermark || typeof watermark !== 'object')
    throw bad('getuserphonenumber', 'no phone_info with a watermark');
  if (watermark.appid !== appid) throw bad('getuserphonenumber', 'the watermark names another appid');
  const { phoneNumber, purePhoneNumber } = info;
  const countryCode = typeof info.countryCode === 'number' ? String(info.countryCode) : info.countryCode;
  if (typeof phoneNumber !== 'string' || !/^\+?\d{3,24}$/.test(phoneNumber))
    throw bad('getuserphonenumber', 'phoneNumber is not a phone number');
  if (typeof purePhoneNumber !== 'string' || !/^\d{3,20}$/.test(purePhoneNumber))
    throw bad('getuserphonenumber', 'purePhoneNumber is not digits');
  if (typeof countryCode !== 'string' || !/^\d{1,4}$/.test(countryCode)) throw bad('getuserphonenumber', 'countryCode is not 1-4 digits');
  return { phoneNumber, purePhoneNumber, countryCode };
}

/** `result` of msg_sec_check version 2: the overall suggestion and its label. */
export function textCheckOf(json: WechatJson): TextCheck {
  const result = json.body.result as Record<string, unknown> | undefined;
  if (!result || typeof result !== 'object') throw bad('msg_sec_check', 'no result');
  const { suggest, label } = result;
  if (typeof suggest !== 'string' || !SUGGESTS.has(suggest)) throw bad('msg_sec_check', 'suggest is not pass, review or risky');
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label > 1_000_000)
    throw bad('msg_sec_check', 'label is not a label number');
  return { suggest: suggest as TextSuggest, label };
}

/**
 * The msgid of subscribeMessage.send, as the exact digits WeChat sent. It is a 64-bit
 * integer above 2^53, which JSON.parse rounds, so its digits are read from the answer's
 * text: the pattern consumes whole string literals, so a `"msgid":` inside a string
 * (an errmsg) is never taken for the field.
 */
export function msgidOf(json: WechatJson): string {
  if (typeof json.body.msgid !== 'number') throw bad('subscribe/send', 'no numeric msgid');
  const found: string[] = [];
  for (const m of json.text.matchAll(/"msgid"\s*:\s*(-?\d+)(?=\s*[,}])|"(?:[^"\\]|\\.)*"/g)) {
    if (m[1] !== undefined) found.push(m[1]);
  }
  const digits = found[0];
  if (found.length !== 1 || digits === undefined || !/^\d{1,20}$/.test(digits) || BigInt(digits) > MAX_UINT64) {
    throw bad('subscribe/send', 'msgid is not one unsigned 64-bit integer');
  }
  return BigInt(digits).toString();
}

/** The image of getwxacodeunlimit: a type WeChat answers with, and bytes that are that type. */
export function wxacodeImageOf(contentType: string, bytes: Buffer): WxacodeImage {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const signature = IMAGE_SIGNATURES[type];
  if (!signature) throw bad('getwxacodeunlimit', `content type ${JSON.stringify(type.slice(0, 60))} is not an image type WeChat sends`);
  if (bytes.length <= signature.length || !bytes.subarray(0, signature.length).equals(signature))
    throw bad('getwxacodeunlimit', `the bytes are not ${type}`);
  return { contentType: type, bytes };
}

function bad(call: string, why: string): UpstreamUnavailableError {
  return new UpstreamUnavailableError(`WeChat's answer to ${call} is not what it documents: ${why}`);
}
