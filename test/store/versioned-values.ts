/** What each side of the mixed-version test writes, so that either can check the other's values exactly. */
import type { JsonValue } from '../../src/store/store.js';

export const KEYS = 40;
export const BOARD = 'app:board:mixed';

/** Values msgpack cannot carry exactly sit beside ones it can: both layouts are exercised. */
export function expectedValue(writer: string, i: number, round: number): JsonValue {
  let deep: JsonValue = { leaf: `${writer}-${i}` };
  for (let d = 0; d < 60; d++) deep = [deep];
  const tricky = JSON.parse(
    `{"10":1,"b":"é \\u2028 🎉","__proto__":{"own":true},"a":[-0,1e21,9007199254740991,0.1,-2147483649],"lone":"\\ud800"}`,
  ) as JsonValue;
  return {
    writer,
    i,
    round,
    name: `名前-${i}`,
    score: i * 1.5,
    plain: i % 2 === 0,
    ...(i % 5 === 0 ? { tricky } : {}),
    ...(i % 7 === 0 ? { deep } : {}),
  };
}
