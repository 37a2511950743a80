/**
 * The signed-in user's WeChat data: the phone number behind a `getPhoneNumber` button
 * (getuserphonenumber, on the central access_token), and data the mini program got
 * encrypted or signed by WeChat's client, opened here with the user's session_key —
 * which never leaves the server, so the client cannot open it itself.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../core/errors.js';
import type { ApiContext } from '../context.js';
import { authHook } from '../hooks.js';
import { checkSignature, decryptUserData } from '../wechat/user-data.js';

/** Standard base64 with its padding, as WeChat's client produces it. */
const BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

/** WeChat's phone codes are 64 hex characters; this allows their format to change, not spaces or controls. */
const PhoneBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' }) },
  { additionalProperties: false },
);
const PhoneResponse = Type.Object({ phoneNumber: Type.String(), purePhoneNumber: Type.String(), countryCode: Type.String() });

const DecryptBody = Type.Object(
  {
    // At least one AES block (16 bytes); 32 KiB is ample for user info and a month of WeRun steps.
    encryptedData: Type.String({ minLength: 24, maxLength: 32 * 1024, pattern: BASE64 }),
    // Exactly 16 bytes: the AES block size.
    iv: Type.String({ minLength: 24, maxLength: 24, pattern: BASE64 }),
    rawData: Type.Optional(Type.String({ minLength: 1, maxLength: 16 * 1024 })),
    signature: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{40}$' })),
  },
  { additionalProperties: false },
);
const DecryptResponse = Type.Object({ data: Type.Record(Type.String(), Type.Unknown()) });

export function meWechatRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authHook(ctx));

    app.post('/v1/me/phone', { schema: { body: PhoneBody, response: { 200: PhoneResponse } } }, async (req) =>
      ctx.platform.phoneNumber(req.body.code),
    );

    app.post('/v1/me/decrypt', { schema: { body: DecryptBody, response: { 200: DecryptResponse } } }, async (req) => {
      const { encryptedData, iv, rawData, signature } = req.body;
      const sessionKey = req.user!.sessionKey;
      if ((rawData === undefined) !== (signature === undefined))
        throw new ValidationError('rawData and signature go together: send both or neither');
      if (rawData !== undefined && signature !== undefined) checkSignature(rawData, signature, sessionKey);
      return { data: decryptUserData(sessionKey, encryptedData, iv, ctx.options.wechat.appid) };
    });
  };
}
