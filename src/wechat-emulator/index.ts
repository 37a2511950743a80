/**
 * The WeChat server API emulator: the one stand-in Miniscale's tests use. It speaks
 * WeChat's documented protocol (endpoints, field names, errcodes, token lifecycles) on
 * loopback; docs/ and the module comments say which WeChat behaviour each part follows.
 */
export { startWechatEmulator, ENDPOINTS, type EmulatorStats, type Endpoint, type WechatEmulator } from './server.js';
export { DEV_APPID, DEV_SECRET, type WechatEmulatorOptions } from './options.js';
export { devOpenid, devUnionid, BLOCKED_PREFIX } from './identity.js';
export { ERR, WechatApiError, type WechatErrorBody } from './errcodes.js';
export { MAX_DELAY_MS, type FaultSettings } from './faults.js';
