/**
 * Lua scripts of the Redis drivers. Each multi-step operation is one script, because
 * a script runs atomically on the server: no other client's command can slip between
 * the check and the write. Every script touches keys of one hash slot only (Redis
 * Cluster refuses others). Times come from the server's TIME, so nodes with skewed
 * clocks still agree. Expected outcomes (conflicts, overflow) are returned as values,
 * never raised as errors, so errors always mean "the backend failed".
 *
 * Lua 5.1's tostring() prints numbers with 14 significant digits; millisecond
 * timestamps and versions need more, so they are formatted with %.0f or %.17g.
 */

/** Milliseconds since the epoch, from the server clock. */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

export interface ScriptDef {
  numberOfKeys: number;
  lua: string;
}

/**
 * KEYS[1] kv hash; ARGV: json, ttlMs ('' = none), ifVersion ('' = none), ifAbsent ('1'/'0').
 * → {1, version, expiresAt} or {0, currentVersion or -1}
 * Atomic because: the version check, the new version (derived from the old one) and the
 * write are one compare-and-set; split, two writers could both pass the check.
 */
export const KV_SET: ScriptDef = {
  numberOfKeys: 1,
  lua: `${NOW_MS}
-- A hash without 'v' is a tombstone: absent, but it remembers the last version.
local cur = redis.call('HMGET', KEYS[1], 'ver', 'v')
local live = cur[2] and cur[1]
if ARGV[4] == '1' and live then return {0, live} end
if ARGV[3] ~= '' and live ~= ARGV[3] then return {0, live or '-1'} end
-- max(previous + 1, now): strictly growing, also across a delete (the tombstone's version).
local ver = math.max((tonumber(cur[1]) or 0) + 1, now)
local exp = 0
if ARGV[2] ~= '' then exp = now + tonumber(ARGV[2]) end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'ver', string.format('%.0f', ver), 'e', string.format('%.0f', exp))
if exp > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('PERSIST', KEYS[1]) end
return {1, string.format('%.0f', ver), string.format('%.0f', exp)}`,
};

/**
 * KEYS[1] kv hash; ARGV: ifVersion ('' = none), tombstoneMs. Leaves a tombstone (the
 * version alone) so a re-created key continues above it.
 * → 1 deleted, 0 absent, {-1, currentVersion or -1} conflict
 * Atomic because: a conditional delete must not remove a value written after its check,
 * and the tombstone must keep the version of exactly the value it removed.
 */
export const KV_DELETE: ScriptDef = {
  numberOfKeys: 1,
  lua: `local cur = redis.call('HMGET', KEYS[1], 'ver', 'v')
local live = cur[2] and cur[1]
if ARGV[1] ~= '' and live ~= ARGV[1] then return {-1, live or '-1'} end
if not live then return 0 end
redis.call('HDEL', KEYS[1], 'v', 'e')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
};

/**
 * KEYS[1] counter; ARGV: by. → {1, value} or {0} when the result would leave ±(2^53-1).
 * Atomic because: the range check must see the value it adds to. (INCRBY alone is atomic
 * but goes up to 2^63, past what a JavaScript number holds exactly.)
 */
export const COUNTER_INCR: ScriptDef = {
  numberOfKeys: 1,
  lua: `local value = (tonumber(redis.call('GET', KEYS[1])) or 0) + tonumber(ARGV[1])
if math.abs(value) > 9007199254740991 then return {0} end
redis.call('SET', KEYS[1], string.format('%.0f', value))
return {1, string.format('%.0f', value)}`,
};

/**
 * KEYS[1] board zset of NEGATED scores (ascending order = highest first, ties by member);
 * ARGV: member, score, mode. → {storedScore, rank}
 * Atomic because: `best` compares with the stored score before writing (two concurrent
 * submissions must keep the higher), and the rank returned is that of this write.
 * Scores travel as %.17g text, which round-trips every double exactly.
 */
export const ZSET_SCORE: ScriptDef = {
  numberOfKeys: 1,
  lua: `local new = -tonumber(ARGV[2])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
if ARGV[3] == 'best' and old and tonumber(old) <= new then new = tonumber(old) end
redis.call('ZADD', KEYS[1], string.format('%.17g', new), ARGV[1])
return {string.format('%.17g', -new), redis.call('ZRANK', KEYS[1], ARGV[1]) + 1}`,
};

/**
 * GCRA (see src/store/gcra.ts for the same arithmetic in TypeScript). KEYS[1] holds the
 * theoretical arrival time in µs since 2025-01-01, unrounded. ARGV: limit, windowMs, epochUs.
 * → {allowed 1/0, remaining, retryAfterMs}
 * Atomic because: read-decide-write of the arrival time; split, N processes reading the
 * same value would all be allowed, and the limit would not be exact across processes.
 */
export const RATE_HIT: ScriptDef = {
  numberOfKeys: 1,
  lua: `local t = redis.call('TIME')
local now = (tonumber(t[1]) * 1000000 + tonumber(t[2])) - tonumber(ARGV[3])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2]) * 1000
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local newTat = tat + interval
local ahead = newTat - now
if ahead > window + 1 then
  return {0, 0, math.max(1, math.ceil((ahead - window) / 1000))}
end
redis.call('SET', KEYS[1], string.format('%.17g', newTat), 'PX', math.ceil(ahead / 1000))
return {1, math.max(0, math.floor((window - ahead + 1) / interval)), 0}`,
};

/**
 * KEYS[1] lock hash {owner, token}, KEYS[2] fencing counter (never expires, so tokens
 * only grow); ARGV: owner, ttlMs. → {token, expiresAt} or {0} when another owner holds it.
 * Atomic because: "free or mine?" and taking it must be one step (else two owners both
 * take it), and the token must be drawn by the very step that takes the lock.
 */
export const LOCK_ACQUIRE: ScriptDef = {
  numberOfKeys: 2,
  lua: `${NOW_MS}
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] and held[1] ~= ARGV[1] then return {0} end
local token = held[2]
if not held[1] then
  token = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {tonumber(token), string.format('%.0f', now + tonumber(ARGV[2]))}`,
};

/**
 * KEYS[1] lock hash; ARGV: owner, token. → 1 released, 0 not held by this owner and token.
 * Atomic because: between a separate check and DEL, the lock could expire and be taken by
 * another owner, whose lock the DEL would then remove.
 */
export const LOCK_RELEASE: ScriptDef = {
  numberOfKeys: 1,
  lua: `local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] == ARGV[1] and held[2] == ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0`,
};

/**
 * KEYS[1] zset nodeId → expiresAt, KEYS[2] hash nodeId → info JSON; ARGV: nodeId, info, ttlMs.
 * Atomic because: the two keys must change together, or `list` could show a node without
 * its info (or a concurrent `list` could clean up the info of a node just re-registered).
 */
export const REGISTRY_REGISTER: ScriptDef = {
  numberOfKeys: 2,
  lua: `${NOW_MS}
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[3])), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`,
};

/** KEYS as for register; ARGV: nodeId. Atomic for the same reason as register. */
export const REGISTRY_DEREGISTER: ScriptDef = {
  numberOfKeys: 2,
  lua: `redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`,
};

/**
 * KEYS as for register. Drops expired nodes, → flat list {nodeId, expiresAt, info, …}.
 * Atomic because: the clean-up must not remove a node whose heartbeat arrived after the
 * expiry check, and the listing must pair each node with its own info.
 */
export const REGISTRY_LIST: ScriptDef = {
  numberOfKeys: 2,
  lua: `${NOW_MS}
local cutoff = string.format('%.0f', now)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff)
for _, id in ipairs(dead) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. cutoff, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  table.insert(out, live[i])
  table.insert(out, live[i + 1])
  table.insert(out, redis.call('HGET', KEYS[2], live[i]) or '{}')
end
return out`,
};

export const SCRIPTS = {
  msKvSet: KV_SET,
  msKvDelete: KV_DELETE,
  msIncr: COUNTER_INCR,
  msZset: ZSET_SCORE,
  msHit: RATE_HIT,
  msLockAcquire: LOCK_ACQUIRE,
  msLockRelease: LOCK_RELEASE,
  msRegister: REGISTRY_REGISTER,
  msDeregister: REGISTRY_DEREGISTER,
  msList: REGISTRY_LIST,
} as const;
