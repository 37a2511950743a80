// One Miniscale client for the whole app: it keeps the session in storage, queues
// requests within WeChat's limit of 10 and retries what is safe to retry.
const { createClient } = require('./lib/miniscale-wx.js');
const config = require('./config.js');

// wx as the SDK sees it; in dev mode wx.login hands out the emulator's codes.
function wxFor(devUser) {
  if (!devUser) return wx;
  return {
    request: (options) => wx.request(options),
    getStorageSync: (key) => wx.getStorageSync(key),
    setStorageSync: (key, value) => wx.setStorageSync(key, value),
    removeStorageSync: (key) => wx.removeStorageSync(key),
    login: (options) => setTimeout(() => options.success({ code: `dev:${devUser}:${Date.now()}`, errMsg: 'login:ok' }), 0),
  };
}

App({
  globalData: {
    client: createClient({ baseUrl: config.baseUrl, wx: wxFor(config.devUser) }),
  },
});
