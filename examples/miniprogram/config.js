// Where the example finds its backend, and how it signs in.
module.exports = {
  // A running `miniscale up` (`npm start` prints its URL). On a phone use the machine's
  // LAN address, and in production your HTTPS domain (listed in the mini program's
  // request domains).
  baseUrl: 'http://127.0.0.1:8080',
  // Dev mode (`up` without MINISCALE_WECHAT_APPID/SECRET) signs in through its WeChat
  // emulator, which takes codes of the form `dev:NAME`; a real wx.login code works only
  // against a server holding your AppID and AppSecret. Set to '' to use wx.login.
  devUser: 'alice',
};
