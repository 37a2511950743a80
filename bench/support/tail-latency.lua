-- Loaded after a benchmark's own wrk script (bench/support/wrk.ts): prints the p99.9 of
-- wrk's latency histogram, which `--latency` does not show (it stops at 99 %). Same
-- histogram as wrk's other percentiles, so corrected for coordinated omission alike.
local userDone = done

function done(summary, latency, requests)
  if userDone then userDone(summary, latency, requests) end
  io.write(string.format("tail-latency p99.9 %d\n", latency:percentile(99.9)))
end
