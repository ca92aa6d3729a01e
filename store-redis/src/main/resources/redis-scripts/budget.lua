-- A tenant's budgets, fleet-wide: requests and tokens in the current minute and the current day (UTC), by the
-- server's clock. 'admit' counts one request and reserves its estimated tokens unless a budget is spent (then nothing
-- is counted and the answer says which budget and when it renews); 'settle' replaces a job's reservation (in the minute
-- and day it was made, while they last) by the tokens it used, once; 'read' only reports.
-- KEYS[1] budget hash: m (minute number), mr, mt (its requests, tokens), d (day number), dr, dt
-- KEYS[2] (admit, settle) the job's marker "minute,day,reserved tokens": a job counted today or yesterday is admitted
-- again without counting or reserving
-- ARGV[1] 'admit' | 'settle' | 'read'   ARGV[2..5] requests/min, requests/day, tokens/min, tokens/day (-1: none)
-- ARGV[6] tokens: the estimate to reserve (admit), or what the job used (settle)
-- Returns {admitted 1|0 (2: admitted, counted before), ms until the spent budget renews, the spent budget's name, mr, dr, mt, dt}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minute = math.floor(now / 60000)
local day = math.floor(now / 86400000)
local v = redis.call('HMGET', KEYS[1], 'm', 'mr', 'mt', 'd', 'dr', 'dt')
local mr, mt, dr, dt = tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[5]) or 0, tonumber(v[6]) or 0
if tonumber(v[1]) ~= minute then mr, mt = 0, 0 end
if tonumber(v[4]) ~= day then dr, dt = 0, 0 end
local rpm, rpd, tpm, tpd = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local toMinute = (minute + 1) * 60000 - now
local toDay = (day + 1) * 86400000 - now
if ARGV[1] == 'admit' then
  if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
    return {2, 0, '', mr, dr, mt, dt}
  end
  local spent, wait = '', 0
  if rpd >= 0 and dr >= rpd then spent, wait = 'requests-per-day', toDay
  elseif tpd >= 0 and dt >= tpd then spent, wait = 'tokens-per-day', toDay
  elseif rpm >= 0 and mr >= rpm then spent, wait = 'requests-per-minute', toMinute
  elseif tpm >= 0 and mt >= tpm then spent, wait = 'tokens-per-minute', toMinute
  end
  if spent ~= '' then
    return {0, wait, spent, mr, dr, mt, dt}
  end
  local reserved = 0
  if tpm >= 0 or tpd >= 0 then reserved = tonumber(ARGV[6]) end
  mr, dr, mt, dt = mr + 1, dr + 1, mt + reserved, dt + reserved
  if KEYS[2] then
    -- kept through the next day: a job counted before midnight and started after it counts on one day only
    redis.call('SET', KEYS[2], minute .. ',' .. day .. ',' .. reserved, 'PX', toDay + 86400000)
  end
elseif ARGV[1] == 'settle' then
  local mark = KEYS[2] and redis.call('GET', KEYS[2])
  if mark then
    local m, d, r = string.match(mark, '^(%d+),(%d+),(%d+)$')
    if r and tonumber(r) > 0 then
      -- taken back where it was made, while that minute and day last: an earlier one is over already
      if tonumber(m) == minute then mt = math.max(0, mt - tonumber(r)) end
      if tonumber(d) == day then dt = math.max(0, dt - tonumber(r)) end
      redis.call('SET', KEYS[2], m .. ',' .. d .. ',0', 'KEEPTTL')
    end
  end
  local tokens = tonumber(ARGV[6])
  mt, dt = mt + tokens, dt + tokens
else
  return {1, 0, '', mr, dr, mt, dt}
end
redis.call('HSET', KEYS[1], 'm', minute, 'mr', mr, 'mt', mt, 'd', day, 'dr', dr, 'dt', dt)
redis.call('PEXPIRE', KEYS[1], toDay + 60000)
return {1, 0, '', mr, dr, mt, dt}
