const { client } = getApp().globalData;

const BOARD = 'taps';

/** Leaderboard rows for the page: you, or the start of someone else's openid. */
function leaderRows(entries, me) {
  return entries.map((e) => ({ rank: e.rank, who: e.openid === me ? 'you' : e.openid.slice(0, 8), score: e.score }));
}

Page({
  data: {
    openid: '',
    note: '',
    noteVersion: 0,
    draft: '',
    taps: 0,
    myTaps: 0,
    leaders: [],
    error: '',
    busy: false,
  },

  // Handlers return their promise: the page ignores it, a test can wait for it.
  onLoad() {
    return this.run(async () => {
      // Any call would sign in by itself; doing it first shows who we are.
      const { openid } = await client.login();
      this.setData({ openid });
      await this.refresh();
    });
  },

  onPullDownRefresh() {
    return this.run(() => this.refresh()).then(() => wx.stopPullDownRefresh());
  },

  async refresh() {
    // Four calls at once: the SDK's queue keeps them within WeChat's limit.
    const [note, taps, leaders, mine] = await Promise.all([
      client.kv.get('note'),
      client.counters.get(BOARD),
      client.boards.top(BOARD, 10),
      client.kv.get('my-taps'),
    ]);
    this.setData({
      note: note ? note.value : '',
      noteVersion: note ? note.version : 0,
      draft: note ? note.value : '',
      taps,
      myTaps: mine ? mine.value : 0,
      leaders: leaderRows(leaders, this.data.openid),
    });
  },

  onDraft(event) {
    this.setData({ draft: event.detail.value });
  },

  saveNote() {
    return this.run(async () => {
      // WeChat asks mini programs to check what users write before keeping it.
      const check = await client.checkText(this.data.draft);
      if (check.suggest !== 'pass') {
        this.setData({ error: `Not saved: WeChat's check says "${check.suggest}"` });
        return;
      }
      // Only over the version we showed: if another device changed the note meanwhile,
      // the save fails with VERSION_CONFLICT instead of overwriting it.
      const options = this.data.noteVersion ? { ifVersion: this.data.noteVersion } : { ifAbsent: true };
      const saved = await client.kv.set('note', this.data.draft, options);
      this.setData({ note: saved.value, noteVersion: saved.version });
    });
  },

  tap() {
    return this.run(async () => {
      const taps = await client.counters.incr(BOARD);
      // Read-modify-write that two devices of one user can run at once without losing a tap.
      const mine = await client.kv.update('my-taps', (n) => (n || 0) + 1);
      await client.boards.submit(BOARD, mine.value);
      const leaders = await client.boards.top(BOARD, 10);
      this.setData({ taps, myTaps: mine.value, leaders: leaderRows(leaders, this.data.openid) });
    });
  },

  // Shows a failure by its stable code; the request id finds it in the server's logs.
  async run(work) {
    this.setData({ busy: true, error: '' });
    try {
      await work();
    } catch (err) {
      this.setData({ error: `${err.code || 'ERROR'}: ${err.message}${err.requestId ? ` (request ${err.requestId})` : ''}` });
    } finally {
      this.setData({ busy: false });
    }
  },
});
