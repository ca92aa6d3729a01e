-- Takes room for one request on one account, atomically, on the Redis server's clock (TIME): a concurrency
-- permit (or a held one renewed), a place in the request window and tokens in the token window. Nothing is
-- written unless every limit has room, so a refusal costs nothing.
--
-- KEYS[1] state      hash: epoch, born, restoreUntil, quietUntil (server ms), server (the run id of the Redis
--                    process that made it)
-- KEYS[2] in-flight  zset: permit id -> lease end (server ms)
-- KEYS[3] requests   zset: request id -> server ms of its grant (the sliding log)
-- KEYS[4] tokens     zset: "request id:tokens" -> server ms of its grant
-- KEYS[5] limits     zset: "concurrency,requests,requestWindowMs,tokens,tokenWindowMs" -> server ms until which a
--                    worker declared it (every live worker's limits hold: the strictest wins)
-- ARGV[1] the epoch this worker knows ('' for none)    ARGV[2] a new epoch id, used when the state is missing
-- ARGV[3] '1': a missing state counts as lost even for a worker that knew none
-- ARGV[4] ms to wait after a loss for live workers to put back their permits
-- ARGV[5] permit id   ARGV[6] '1': the permit is held already (renew it)   ARGV[7] lease ms
-- ARGV[8] request id  ARGV[9] estimated tokens (clamped here to the strictest quota in force)
-- ARGV[10] this worker's limits   ARGV[11] declaration ttl ms
-- ARGV[12] a request of this permit that ended ('' none)   ARGV[13] ms since it was written
-- ARGV[19] that request's entry in the token window ('' none)
-- KEYS[6] waiting  zset: worker id -> rank of its best job waiting for this account (server ms; lower goes first)
-- KEYS[7] waiting until  zset: worker id -> server ms until which its entry holds
-- ARGV[14] this worker's id ('' to ignore the fleet's waiting jobs)  ARGV[15] the asking job's urgency ms (its
-- rank is now + this)  ARGV[16] entry ttl ms  ARGV[17] ranks closer than this ms count as equal
-- ARGV[18] the urgency ms of this worker's next job waiting for the account, its entry once this one is granted
-- ('' none: the entry goes with the grant)
-- KEYS[8] adaptive   hash: the fleet's adaptive concurrency limit (adapt.lua), when cut below the configured one
-- KEYS[9] waiting tokens  hash: worker id -> tokens its best waiting job needs (kept from less urgent jobs)
-- ARGV[20] the tokens the asking job needs  ARGV[21] the tokens of this worker's next waiting job (ARGV[18])
-- Returns {granted 1|0, reason, retry-after ms, epoch, server ms[, 1 if in a request window, tokens recorded,
-- the adaptive limit or -1]}
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function ms(x) return string.format('%.0f', x) end
-- this Redis process: a state made by another one came back from an AOF or RDB file, or from a replica
local server = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')

redis.call('ZADD', KEYS[5], now + tonumber(ARGV[11]), ARGV[10])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local conc, reqs, toks, maxRw, maxTw, quiet = -1, {}, {}, 0, 0, 0
for _, d in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local c, rn, rw, tn, tw = string.match(d, '^(-?%d+),(-?%d+),(-?%d+),(-?%d+),(-?%d+)$')
  c, rn, rw, tn, tw = tonumber(c), tonumber(rn), tonumber(rw), tonumber(tn), tonumber(tw)
  if c >= 0 and (conc < 0 or c < conc) then conc = c end
  if rn >= 0 then table.insert(reqs, {rn, rw}); if rw > maxRw then maxRw = rw end end
  -- after a loss, nothing is granted until whatever was sent before has left every sliding window
  if rn >= 0 and rw > quiet then quiet = rw end
  if tn >= 0 and tw > quiet then quiet = tw end
  if tn >= 0 then
    table.insert(toks, {tn, tw})
    local span = tw > 0 and tw or 86400000 -- a daily quota (tw <= -10) keeps a day of entries
    if span > maxTw then maxTw = span end
  end
end

-- the fleet's adaptive limit (adapt.lua), when it has cut below the configured concurrency
local adaptive = tonumber(redis.call('HGET', KEYS[8], 'limit'))
if adaptive and conc >= 0 and adaptive < conc then conc = adaptive end

-- a moved place keeps its key alive a whole window from the move, not only from the last grant (never shortened)
local function keep(key, span)
  if redis.call('PTTL', key) < span then redis.call('PEXPIRE', key, span) end
end
if ARGV[12] ~= '' and #reqs > 0 then
  -- the place of the request that ended on this permit counts from when it was written, not granted
  redis.call('ZADD', KEYS[3], 'GT', ms(now - tonumber(ARGV[13])), ARGV[12])
  keep(KEYS[3], maxRw + 1000)
end
if ARGV[19] ~= '' and #toks > 0 then
  -- and so does its entry in the token window: the provider counts its tokens from its arrival
  redis.call('ZADD', KEYS[4], 'GT', ms(now - tonumber(ARGV[13])), ARGV[19])
  keep(KEYS[4], maxTw + 1000)
end

local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch or redis.call('HGET', KEYS[1], 'server') ~= server then
  -- the state is gone, or was made by another Redis process: restarted from its AOF (which fsyncs once a second) or
  -- RDB, or a replica that took over (which lags), either of which may have lost the last grants. Lost while
  -- requests may still be out (unless missing for a worker that knew none: a fresh start, unless told to wait):
  -- live workers put back their permits, and the windows admit nothing until whatever was sent before has left
  -- every provider's window (a daily quota counts afresh)
  local lost = epoch or ARGV[1] ~= '' or ARGV[3] == '1'
  epoch = ARGV[2]
  local restoreUntil, quietUntil = 0, 0
  if lost then
    restoreUntil = now + tonumber(ARGV[4])
    quietUntil = now + quiet
  end
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'born', ms(now), 'restoreUntil', ms(restoreUntil),
      'quietUntil', ms(quietUntil), 'server', server)
elseif ARGV[1] ~= '' and epoch ~= ARGV[1] then
  -- this worker knew an older epoch: the state was lost and remade by a worker that did not know it
  local born = tonumber(redis.call('HGET', KEYS[1], 'born'))
  if born + quiet > tonumber(redis.call('HGET', KEYS[1], 'quietUntil')) then
    redis.call('HSET', KEYS[1], 'quietUntil', ms(born + quiet))
  end
end
if ARGV[1] ~= '' and epoch ~= ARGV[1] then
  return {0, 'EPOCH', 0, epoch, now}
end

local restoreUntil = tonumber(redis.call('HGET', KEYS[1], 'restoreUntil'))
if now < restoreUntil then
  return {0, 'REBUILDING', restoreUntil - now, epoch, now}
end

local rank = 0
if ARGV[14] ~= '' then
  -- this worker's most urgent job waiting for the account, seen by the whole fleet (also while it is refused)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', now)
  if #gone > 0 then
    redis.call('ZREM', KEYS[6], unpack(gone))
    redis.call('ZREM', KEYS[7], unpack(gone))
    redis.call('HDEL', KEYS[9], unpack(gone))
  end
  rank = now + tonumber(ARGV[15])
  redis.call('ZADD', KEYS[6], ms(rank), ARGV[14])
  redis.call('ZADD', KEYS[7], now + tonumber(ARGV[16]), ARGV[14])
  redis.call('HSET', KEYS[9], ARGV[14], ARGV[20])
end

-- how many more requests the account takes now: the fewest of what each limit leaves
local free = math.huge
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if ARGV[6] == '1' then
  if not redis.call('ZSCORE', KEYS[2], ARGV[5]) then
    return {0, 'LOST_PERMIT', 0, epoch, now}
  end
  if conc >= 0 then
    local card = redis.call('ZCARD', KEYS[2])
    if card > conc then
      -- more in flight than the strictest limit now allows (lowered, or permits put back): this one goes back
      return {0, 'CONCURRENCY', 0, epoch, now}
    end
    free = conc - card + 1
  end
elseif conc >= 0 then
  local card = redis.call('ZCARD', KEYS[2])
  if card >= conc then
    return {0, 'CONCURRENCY', 0, epoch, now}
  end
  free = conc - card
end

if quiet > 0 then
  local quietUntil = tonumber(redis.call('HGET', KEYS[1], 'quietUntil'))
  if now < quietUntil then
    return {0, 'REBUILDING', quietUntil - now, epoch, now}
  end
end
if #reqs > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ms(now - maxRw))
  for _, r in ipairs(reqs) do
    local n = redis.call('ZCOUNT', KEYS[3], '(' .. ms(now - r[2]), '+inf')
    if n >= r[1] then
      local e = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ms(now - r[2]), '+inf', 'WITHSCORES', 'LIMIT', n - r[1], 1)
      return {0, 'REQUESTS', tonumber(e[2]) + r[2] - now + 1, epoch, now}
    end
    if r[1] - n < free then free = r[1] - n end
  end
end

local want = tonumber(ARGV[9])
if #toks > 0 and want > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ms(now - maxTw))
  local cap = math.huge
  for _, tk in ipairs(toks) do
    if tk[1] < cap then cap = tk[1] end
  end
  if want > cap then want = cap end
  local sums, dailyLeft = {}, math.huge
  for i, tk in ipairs(toks) do
    local daily = tk[2] <= -10
    -- a sliding window counts the last tk[2] ms; a daily quota counts from the start of its day (-10 - tk[2] ms
    -- after UTC midnight, by this server's clock)
    local dayStart = daily and now - ((now - (-10 - tk[2])) % 86400000) or 0
    local from = daily and ms(dayStart) or '(' .. ms(now - tk[2])
    local entries = redis.call('ZRANGEBYSCORE', KEYS[4], from, '+inf', 'WITHSCORES')
    local sum = 0
    for i = 1, #entries, 2 do sum = sum + tonumber(string.match(entries[i], ':(%d+)$')) end
    if sum + want > tk[1] then
      if daily then
        return {0, 'TOKENS', dayStart + 86400000 - now + 1, epoch, now}
      end
      local left, at = sum, tk[2]
      for i = 1, #entries, 2 do
        left = left - tonumber(string.match(entries[i], ':(%d+)$'))
        if left + want <= tk[1] then at = tonumber(entries[i + 1]) + tk[2] - now + 1; break end
      end
      return {0, 'TOKENS', at, epoch, now}
    end
    sums[i] = sum
    if daily and tk[1] - sum < dailyLeft then dailyLeft = tk[1] - sum end
  end
  if ARGV[14] ~= '' then
    -- what more urgent jobs of other workers wait for is theirs on a sliding window: a large one is not starved by
    -- smaller ones that keep the window full. A daily quota frees nothing before its day ends: there the smaller ones
    -- go on, and a job that no longer fits what is left of the day keeps nothing from anyone
    local ahead = nil
    for i, tk in ipairs(toks) do
      if tk[2] > -10 then
        if not ahead then
          ahead = 0
          local workers = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', '(' .. ms(rank - tonumber(ARGV[17])))
          if #workers > 0 then
            for _, n in ipairs(redis.call('HMGET', KEYS[9], unpack(workers))) do
              local t = math.min(cap, tonumber(n or '0') or 0)
              if t > 0 and t <= dailyLeft then ahead = ahead + t end
            end
          end
        end
        if ahead > 0 and sums[i] + want + math.min(ahead, tk[1]) > tk[1] then
          return {0, 'PRIORITY', 0, epoch, now}
        end
      end
    end
  end
end

if ARGV[14] ~= '' then
  -- fleet-wide priority: while the account has room for no more than the workers holding more urgent jobs for it
  -- (ranks more than the tolerance lower), the room is theirs
  local ahead = redis.call('ZCOUNT', KEYS[6], '-inf', '(' .. ms(rank - tonumber(ARGV[17])))
  if ahead > 0 and ahead >= free then
    return {0, 'PRIORITY', 0, epoch, now}
  end
end

redis.call('ZADD', KEYS[2], now + tonumber(ARGV[7]), ARGV[5])
if #reqs > 0 then
  redis.call('ZADD', KEYS[3], now, ARGV[8])
  redis.call('PEXPIRE', KEYS[3], maxRw + 1000)
end
if #toks > 0 and want > 0 then
  redis.call('ZADD', KEYS[4], now, ARGV[8] .. ':' .. want)
  redis.call('PEXPIRE', KEYS[4], maxTw + 1000)
end
if ARGV[14] ~= '' then
  -- granted: this worker's entry now stands for its next job waiting here, or goes (no second call to withdraw it)
  if ARGV[18] ~= '' then
    redis.call('ZADD', KEYS[6], ms(now + tonumber(ARGV[18])), ARGV[14])
    redis.call('HSET', KEYS[9], ARGV[14], ARGV[21])
  else
    redis.call('ZREM', KEYS[6], ARGV[14])
    redis.call('ZREM', KEYS[7], ARGV[14])
    redis.call('HDEL', KEYS[9], ARGV[14])
  end
end
local recorded = 0
if #toks > 0 and want > 0 then recorded = want end
-- what the limits in force made of this request: whether it sits in a request window, and the tokens it holds
return {1, 'GRANTED', 0, epoch, now, #reqs > 0 and 1 or 0, recorded, adaptive or -1}
