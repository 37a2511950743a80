/**
 * A leaderboard worth reading: 1,000 members (players signed in through the WeChat
 * emulator's dev codes, 32 at a time), each with a score, before the leaderboard
 * scenario submits to it and reads its top 10.
 */
import { request } from 'undici';
import { BOARD } from './scripts.js';

export const LEADERBOARD_MEMBERS = 1_000;

export async function preloadLeaderboard(url: string): Promise<void> {
  const run = `${process.pid}-${Date.now()}`;
  let next = 0;
  let anyToken = '';
  const worker = async () => {
    while (next < LEADERBOARD_MEMBERS) {
      const i = next++;
      const login = await request(`${url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: `dev:player${i}:${run}` }),
      });
      const { token } = (await login.body.json()) as { token: string };
      if (login.statusCode !== 200) throw new Error(`leaderboard preload: login ${login.statusCode}`);
      anyToken = token;
      const put = await request(`${url}/v1/leaderboards/${BOARD}/me`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ score: (i * 7919) % 1_000_000, mode: 'set' }),
      });
      const text = await put.body.text();
      if (put.statusCode !== 200) throw new Error(`leaderboard preload: PUT ${put.statusCode} ${text}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const top = await request(`${url}/v1/leaderboards/${BOARD}?limit=10`, { headers: { authorization: `Bearer ${anyToken}` } });
  const body = (await top.body.json()) as { entries?: unknown[] };
  if (top.statusCode !== 200 || body.entries?.length !== 10)
    throw new Error(`leaderboard preload check: ${top.statusCode} ${JSON.stringify(body)}`);
}
