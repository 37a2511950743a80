import v8 from 'node:v8';
import { Packr, Unpackr } from 'msgpackr';
const samples = {
  small: { id: 7, name: 'user-7', level: 7, coins: 51234, tags: ['bench', 'store'], note: 'x'.repeat(24) },
  session: {
    openid: 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M',
    appid: 'wx1234567890abcdef',
    created: 1733356800000,
    exp: 1733443200000,
    scopes: ['kv', 'board'],
  },
  nested: {
    a: [1.5, -2, 1e21, null, true],
    b: { c: { d: { e: 'é 世界 🎉' } } },
    arr: Array.from({ length: 20 }, (_, i) => ({ i, s: `s${i}` })),
  },
};
const tricky = JSON.parse(
  '{"b":"é \\"q\\" \\u2028","a":[1.5,-0,1e21,null,9007199254740993,0.1],"10":true,"__proto__":{"x":1},"z":{"__proto__":null}}',
);
const packr = new Packr({ useRecords: false, moreTypes: false });
const codecs = {
  json: { enc: (v) => Buffer.from(JSON.stringify(v)), dec: (b) => JSON.parse(b.toString('utf8')) },
  v8: { enc: (v) => v8.serialize(v), dec: (b) => v8.deserialize(b) },
  msgpack: { enc: (v) => packr.pack(v), dec: (b) => packr.unpack(b) },
  msgpackRecordsInline: { enc: (v) => new Packr({ useRecords: true }).pack(v), dec: (b) => new Unpackr({ useRecords: true }).unpack(b) },
};
for (const [name, c] of Object.entries(codecs)) {
  let exact;
  try {
    const back = c.dec(c.enc(tricky));
    exact =
      JSON.stringify(back) === JSON.stringify(tricky) &&
      Object.getPrototypeOf(back) === Object.prototype &&
      Object.hasOwn(back, '__proto__');
  } catch (e) {
    exact = 'throws ' + e.message;
  }
  const row = [name, 'exact=' + exact];
  for (const [sn, s] of Object.entries(samples)) {
    const b = c.enc(s);
    const N = 300000;
    let x;
    for (let i = 0; i < 20000; i++) x = c.dec(b);
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) x = c.dec(b);
    if (x === undefined) throw new Error(`${name} decoded nothing`); // keeps the loops from being optimised away
    row.push(`${sn}:${(Number(process.hrtime.bigint() - t) / N).toFixed(0)}ns/${b.length}B`);
  }
  console.log(row.join('  '));
}
