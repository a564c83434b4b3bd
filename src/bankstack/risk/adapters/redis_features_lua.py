"""The two Lua scripts of ``RedisFeatureSource``: compute (read-only) and record.

They keep exactly the state ``features.windows.SlidingWindow`` keeps, one window per hash:

    h       the head (newest bucket recorded)        n, s   running count and sum
    c<b>    events in bucket b                        s<b>   sum of bucket b
    v|<x>   held buckets that contain value x         d      values with v|x > 0
    zset    one member "<b>|<x>" (score b) per bucket and value: what eviction and queries
            need to find the values of a bucket

and answer with the same arithmetic: a query subtracts the buckets outside its range
(expired ones, or the newer ones for a query behind the head) from the running totals, and a
value drops out when every held bucket containing it is outside. Recording evicts. Bucket
indices arrive from Python (``t // width``: nanoseconds exceed a double's 53 bits); counts
and sums are exact in Lua's doubles below 2**53.

The customer's hash ``cp`` holds its profile and "ever" sets as fields: ``events``, ``first``,
``last``, ``newdev`` (fixed-width 20-digit time stamps, compared in two exact halves), ``d|``,
``i|``, ``p|`` + device, IP, payee ever used, and Welford's ``n|``, ``m|``, ``q|`` + currency
(count, mean, m2). Welford runs here in IEEE doubles in the same order as
``features.profile.AmountStats`` and is stored with 17 significant digits, which round-trips
a double exactly: both sources hold the same bits.
"""

from __future__ import annotations

from typing import Final

_COMMON: Final = """
local function value_of(pair)
  return string.sub(pair, string.find(pair, '|', 1, true) + 1)
end

local function bucket_fields(first, last)
  local fields = {}
  for b = first, last do
    fields[#fields + 1] = 'c' .. b
    fields[#fields + 1] = 's' .. b
  end
  return fields
end

-- count and sum of the buckets first..last (absent buckets hold nothing)
local function bucket_totals(h, first, last)
  local got = redis.call('HMGET', h, unpack(bucket_fields(first, last)))
  local count, total = 0, 0
  for i = 1, #got, 2 do
    if got[i] then
      count = count + tonumber(got[i])
      total = total + (tonumber(got[i + 1]) or 0)
    end
  end
  return count, total
end
"""

_QUERY: Final = """
-- values whose every held bucket lies in first..last
local function gone(h, z, first, last)
  local pairs = redis.call('ZRANGEBYSCORE', z, first, last)
  local seen, order, out = {}, {}, 0
  for _, pair in ipairs(pairs) do
    local value = value_of(pair)
    if seen[value] then
      seen[value] = seen[value] + 1
    else
      seen[value] = 1
      order[#order + 1] = value
    end
  end
  for i = 1, #order, 500 do
    local names = {}
    for j = i, math.min(i + 499, #order) do names[#names + 1] = 'v|' .. order[j] end
    local held = redis.call('HMGET', h, unpack(names))
    for j = 1, #names do
      if tonumber(held[j]) == seen[order[i + j - 1]] then out = out + 1 end
    end
  end
  return out
end

-- (count, sum, distinct) of window h (zset z or false) at query bucket q
local function totals(h, z, q, n)
  local st = redis.call('HMGET', h, 'h', 'n', 's', 'd')
  local head = tonumber(st[1])
  if not head then return 0, 0, 0 end
  local count, total, distinct = tonumber(st[2]), tonumber(st[3]) or 0, tonumber(st[4]) or 0
  local first, last
  if q >= head then
    if head <= q - n then return 0, 0, 0 end
    first, last = head - n + 1, q - n
  else
    first, last = q + 1, head
  end
  if first > last then return count, total, distinct end
  local out_count, out_total = bucket_totals(h, first, last)
  if z and distinct > 0 then distinct = distinct - gone(h, z, first, last) end
  return count - out_count, total - out_total, distinct
end
"""

COMPUTE_LUA: Final = (
    _COMMON
    + _QUERY
    + """
local payee, device, ip, phone, currency = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local Q, N = {}, {}
for w = 1, 4 do
  Q[w] = tonumber(ARGV[5 + w])
  N[w] = tonumber(ARGV[9 + w])
end
local out, k = {}, 1

local function entity(present)
  if not present then
    for _ = 1, 12 do out[#out + 1] = 0 end
    return
  end
  for w = 1, 4 do
    local count, _, distinct = totals(KEYS[k], KEYS[k + 1], Q[w], N[w])
    local _, total = totals(KEYS[k + 2], false, Q[w], N[w])
    out[#out + 1] = count
    out[#out + 1] = total
    out[#out + 1] = distinct
    k = k + 3
  end
end

entity(true)
entity(device ~= '')
entity(ip ~= '')
entity(payee ~= '')
local _, _, devices = totals(KEYS[k], KEYS[k + 1], Q[4], N[4])
local _, _, ips = totals(KEYS[k + 2], KEYS[k + 3], Q[3], N[3])
local _, received_1h = totals(KEYS[k + 4], false, Q[2], N[2])
local _, received_24h = totals(KEYS[k + 5], false, Q[3], N[3])
local profile = KEYS[k + 6]
k = k + 7
local on_device, on_phone = 0, 0
if device ~= '' then
  on_device = redis.call('SCARD', KEYS[k])
  k = k + 1
end
if phone ~= '' then on_phone = redis.call('SCARD', KEYS[k]) end
for _, x in ipairs({devices, ips, received_1h, received_24h, on_device, on_phone}) do
  out[#out + 1] = x
end
local p = redis.call('HMGET', profile, 'events', 'first', 'last', 'newdev',
  'd|' .. device, 'i|' .. ip, 'p|' .. payee,
  'n|' .. currency, 'm|' .. currency, 'q|' .. currency)
for i = 1, 10 do out[#out + 1] = p[i] end
return out
"""
)

RECORD_LUA: Final = (
    _COMMON
    + """
local money, amount, customer = ARGV[1] == '1', ARGV[2], ARGV[3]
local payee, device, ip, phone = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local currency, stamp = ARGV[8], ARGV[9]
local B, N, TTL = {}, {}, {}
for w = 1, 4 do
  B[w] = tonumber(ARGV[9 + w])
  N[w] = tonumber(ARGV[13 + w])
  TTL[w] = ARGV[17 + w]
end

-- drop the buckets up to low from window h (zset z or false), head the old head
local function evict(h, z, head, low, n)
  if head <= low then
    redis.call('DEL', h)
    if z then redis.call('DEL', z) end
    return
  end
  local first = head - n + 1
  if first <= low then
    local count, total = bucket_totals(h, first, low)
    if count > 0 then
      redis.call('HINCRBY', h, 'n', -count)
      if total ~= 0 then redis.call('HINCRBY', h, 's', string.format('%d', -total)) end
      redis.call('HDEL', h, unpack(bucket_fields(first, low)))
    end
  end
  if z then
    local pairs = redis.call('ZRANGEBYSCORE', z, '-inf', low)
    for _, pair in ipairs(pairs) do
      local field = 'v|' .. value_of(pair)
      if redis.call('HINCRBY', h, field, -1) == 0 then
        redis.call('HDEL', h, field)
        redis.call('HINCRBY', h, 'd', -1)
      end
    end
    if #pairs > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', low) end
  end
end

local function add(h, z, w, amount, value)
  local b, n = B[w], N[w]
  local head = tonumber(redis.call('HGET', h, 'h'))
  if head and b <= head - n then return end
  if not head or b > head then
    if head then evict(h, z, head, b - n, n) end
    redis.call('HSET', h, 'h', b)
  end
  redis.call('HINCRBY', h, 'n', 1)
  redis.call('HINCRBY', h, 'c' .. b, 1)
  if amount ~= '0' then
    redis.call('HINCRBY', h, 's', amount)
    redis.call('HINCRBY', h, 's' .. b, amount)
  end
  if value and redis.call('ZADD', z, b, b .. '|' .. value) == 1 then
    if redis.call('HINCRBY', h, 'v|' .. value, 1) == 1 then redis.call('HINCRBY', h, 'd', 1) end
  end
  redis.call('PEXPIRE', h, TTL[w])
  if z then redis.call('PEXPIRE', z, TTL[w]) end
end

local k = 1
local function entity(present, value)
  if not present then return end
  for w = 1, 4 do
    add(KEYS[k], KEYS[k + 1], w, '0', value)
    if money then add(KEYS[k + 2], false, w, amount, false) end
    k = k + 3
  end
end

local payer = money and customer
entity(true, money and payee ~= '' and payee)
entity(device ~= '', payer)
entity(ip ~= '', payer)
entity(payee ~= '', payer)
if device ~= '' then add(KEYS[k], KEYS[k + 1], 4, '0', device) end
if ip ~= '' then add(KEYS[k + 2], KEYS[k + 3], 3, '0', ip) end
local profile = KEYS[k + 4]
k = k + 5

local function earlier(a, b)
  local a_high, b_high = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
  if a_high ~= b_high then return a_high < b_high end
  return tonumber(string.sub(a, 11)) < tonumber(string.sub(b, 11))
end

redis.call('HINCRBY', profile, 'events', 1)
local first, last = unpack(redis.call('HMGET', profile, 'first', 'last'))
if not first or earlier(stamp, first) then redis.call('HSET', profile, 'first', stamp) end
if not last or earlier(last, stamp) then redis.call('HSET', profile, 'last', stamp) end
if device ~= '' then
  if redis.call('HSETNX', profile, 'd|' .. device, 1) == 1 then
    local newest = redis.call('HGET', profile, 'newdev')
    if not newest or earlier(newest, stamp) then redis.call('HSET', profile, 'newdev', stamp) end
  end
  redis.call('SADD', KEYS[k], customer)
  k = k + 1
end
if ip ~= '' then redis.call('HSETNX', profile, 'i|' .. ip, 1) end
if phone ~= '' then redis.call('SADD', KEYS[k], customer) end
if money then
  if payee ~= '' then redis.call('HSETNX', profile, 'p|' .. payee, 1) end
  local n_f, m_f, q_f = 'n|' .. currency, 'm|' .. currency, 'q|' .. currency
  local st = redis.call('HMGET', profile, n_f, m_f, q_f)
  local x = tonumber(amount)
  local count = (tonumber(st[1]) or 0) + 1
  local mean = tonumber(st[2]) or 0
  local m2 = tonumber(st[3]) or 0
  local delta = x - mean
  mean = mean + delta / count
  m2 = m2 + delta * (x - mean)
  redis.call('HSET', profile, n_f, count,
    m_f, string.format('%.17g', mean), q_f, string.format('%.17g', m2))
end
return 1
"""
)
