-- An account's adaptive concurrency limit, fleet-wide (AIMD): cut by a factor on a sign of overload (a 429, a
-- timeout, latency rising) from a call granted since the last cut (the calls of one round that meet the overload
-- together count once, as TCP cuts once per window); raised by one after four rounds of healthy calls at that limit (4 x limit) made
-- while it was in use (at least half of it in flight: a limit nobody reaches proves nothing); never below 1 nor above
-- the ceiling. The level a cut came from is remembered ('hurt'): climbing back to it, and from it to the next, takes
-- eight times as many healthy calls, so the limit rests at the highest level that served and probes the one that did
-- not only now and then (as TCP CUBIC flattens out around the window where it last lost); once the limit is past it,
-- it is forgotten.
-- KEYS[1] adaptive   hash: limit, healthy (calls since the last change), cutAt (server ms), hurt (the level cut from)
-- KEYS[2] in-flight  zset: permit id -> server ms its lease ends
-- ARGV[1] 'cut' or 'healthy'   ARGV[2] the ceiling (the configured concurrency)   ARGV[3] when the call was granted
-- (server ms)
-- ARGV[4] the cut's factor in thousandths (700: to 70%)   ARGV[5] ms the state is kept after its last change
-- ARGV[6] for 'healthy': how many healthy calls this reports (a worker reports them a round at a time)
-- Returns the limit now.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ceiling = tonumber(ARGV[2])
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit')) or ceiling
if limit > ceiling then limit = ceiling end
if ARGV[1] == 'cut' then
  local cutAt = tonumber(redis.call('HGET', KEYS[1], 'cutAt')) or 0
  if tonumber(ARGV[3]) >= cutAt then
    local hurt = limit
    limit = math.max(1, math.floor(limit * tonumber(ARGV[4]) / 1000))
    redis.call('HSET', KEYS[1], 'limit', limit, 'healthy', 0, 'cutAt', now, 'hurt', hurt)
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
  end
elseif limit < ceiling and 2 * redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf') >= limit then
  local healthy = redis.call('HINCRBY', KEYS[1], 'healthy', tonumber(ARGV[6]) or 1)
  local hurt = tonumber(redis.call('HGET', KEYS[1], 'hurt')) or (ceiling + 1)
  local rounds = 4
  if limit + 1 >= hurt then rounds = 32 end -- up to the level that drew the last cut and past it: slowly
  if healthy >= rounds * limit then
    limit = limit + 1
    redis.call('HSET', KEYS[1], 'limit', limit, 'healthy', 0)
    if limit > hurt then redis.call('HDEL', KEYS[1], 'hurt') end
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5])) -- kept this long after its last change, then back to the ceiling
  end
end
if limit >= ceiling then
  redis.call('DEL', KEYS[1]) -- at the ceiling: nothing to keep
end
return limit
