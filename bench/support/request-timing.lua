-- Loaded after a benchmark's own wrk script (bench/support/wrk.ts, `timeRequests`):
-- times every request on the client and prints the percentiles of those times.
--
-- Why: wrk 4 "corrects" its latency histogram for coordinated omission before it
-- prints (stats_correct in its stats.c). With e = run time / (requests per connection),
-- every request that took n > 2e adds the samples n-e, n-2e, ... down to e: the
-- requests that connection would have sent had it not been waiting. Its percentiles
-- model each connection as a user sending at a steady rate; a balancer that sends 0.5 %
-- of requests to a +100 ms node shows a p99 near 100 ms there. Both views matter, so
-- the benchmark reports both; this is the plain one: the requests wrk actually sent.
--
-- How: request() stamps each request with `X-Bench-Sent: <µs, CLOCK_MONOTONIC>`; the
-- upstream echoes it back (test/gateway/upstream-server.ts); response() takes the
-- difference. Each wrk thread keeps a histogram of 10 µs buckets; done() merges them and
-- prints lines "request-latency <name> <µs>". Requests answered without the header
-- (an error page from the balancer itself) are counted as "untimed".
local ffi = require("ffi")
pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int clk, bench_timespec *tp);")
local ts = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1
local function nowUs()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}
local userSetup, userRequest, userResponse = setup, request, response

function setup(thread)
  table.insert(threads, thread)
  if userSetup then userSetup(thread) end
end

hist = {}
untimed = 0

function request()
  local stamp = "X-Bench-Sent: " .. nowUs() .. "\r\n"
  if userRequest then
    return (string.gsub(userRequest(), "\r\n", "\r\n" .. stamp, 1))
  end
  return wrk.format(nil, nil, { ["X-Bench-Sent"] = tostring(nowUs()) })
end

function response(status, headers, body)
  local sent = headers["x-bench-sent"] or headers["X-Bench-Sent"]
  if sent then
    local bucket = math.floor((nowUs() - tonumber(sent)) / 10)
    hist[bucket] = (hist[bucket] or 0) + 1
  else
    untimed = untimed + 1
  end
  if userResponse then userResponse(status, headers, body) end
end

function done(summary, latency, requests)
  local merged, total, missing = {}, 0, 0
  for _, thread in ipairs(threads) do
    for bucket, count in pairs(thread:get("hist") or {}) do
      merged[bucket] = (merged[bucket] or 0) + count
      total = total + count
    end
    missing = missing + (thread:get("untimed") or 0)
  end
  local buckets = {}
  for bucket in pairs(merged) do table.insert(buckets, bucket) end
  table.sort(buckets)
  io.write(string.format("request-latency timed %d\nrequest-latency untimed %d\n", total, missing))
  local wanted, names = { 50, 90, 99, 99.9 }, { "p50", "p90", "p99", "p99.9" }
  local seen, i = 0, 1
  for _, bucket in ipairs(buckets) do
    seen = seen + merged[bucket]
    while i <= #wanted and seen >= total * wanted[i] / 100 do
      io.write(string.format("request-latency %s %d\n", names[i], bucket * 10 + 5))
      i = i + 1
    end
  end
end
