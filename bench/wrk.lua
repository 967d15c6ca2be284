-- wrk script for bin/bench. Configured by environment variables:
--   BENCH_TOKEN   bearer token sent as Authorization on every request (required)
--   BENCH_OUT     file the result is written to, as JSON (required)
--   BENCH_ADDRS   "host:port,host:port": wrk threads are spread over these addresses (direct calls to two instances)
--   BENCH_RATE    total requests per second to pace at (open schedule per thread, ms resolution); unset: as fast as
--                 the connections go (closed loop)
--   BENCH_ORDERS  when set, POST /api/orders with one line of a random SKU among BENCH_SKUS (default 100) SKUs named
--                 BENCH_SKU_PREFIX<n>; otherwise the URL given to wrk is fetched with GET
-- Latency is wrk's own: from writing a request to reading its whole answer, in microseconds (no coordinated-omission
-- correction: a paced run keeps enough idle connections that requests do not queue in the client).
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
wrk.headers["Authorization"] = "Bearer " .. token

local threads = {}
local addrs = nil
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  local spec = os.getenv("BENCH_ADDRS")
  if spec and spec ~= "" then
    if not addrs then
      addrs = {}
      for host, port in string.gmatch(spec, "([^,:]+):(%d+)") do
        for _, addr in ipairs(wrk.lookup(host, port)) do
          table.insert(addrs, addr)
          break
        end
      end
    end
    thread.addr = addrs[((thread_count - 1) % #addrs) + 1]
  end
  thread:set("index", thread_count)
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state from here on).
local interval_ms = nil
local next_slot = nil
local orders = os.getenv("BENCH_ORDERS")
local skus = tonumber(os.getenv("BENCH_SKUS") or "100")
local sku_prefix = os.getenv("BENCH_SKU_PREFIX") or "BENCH-"

function init(args)
  local rate = tonumber(os.getenv("BENCH_RATE") or "")
  local index = wrk.thread:get("index") or 1
  math.randomseed(os.time() * 1000 + index)
  if rate and rate > 0 then
    local per_thread = rate / tonumber(os.getenv("BENCH_THREADS") or "1")
    interval_ms = 1000.0 / per_thread
  end
end

if os.getenv("BENCH_RATE") and os.getenv("BENCH_RATE") ~= "" then
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 50 then
      next_slot = now -- fell behind by more than 50 ms (client or server saturated): do not burst to catch up
    end
    next_slot = next_slot + interval_ms
    local wait = next_slot - now
    if wait < 0 then
      return 0
    end
    return math.floor(wait)
  end
end

if orders and orders ~= "" then
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  function request()
    local sku = sku_prefix .. math.random(1, skus)
    return wrk.format("POST", "/api/orders", headers, '{"items":[{"sku":"' .. sku .. '","quantity":1}]}')
  end
end

function done(summary, latency, requests)
  local out = os.getenv("BENCH_OUT") or error("BENCH_OUT is not set")
  local f = assert(io.open(out, "w"))
  local e = summary.errors
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p99_9":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
  f:close()
end
