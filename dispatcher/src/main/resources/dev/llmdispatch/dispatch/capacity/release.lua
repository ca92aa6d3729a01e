redis.replicate_commands()
-- Gives back room on one account and wakes the worker whose job is the fleet's most urgent one waiting for it
-- (pub/sub: "account<TAB>worker"; only "account" when no worker has a job waiting, which wakes every worker).
-- Returns {permits and places freed, the worker woken ('' for every worker)}.
-- KEYS[1] in-flight  KEYS[2] requests  KEYS[3] tokens  KEYS[4] waiting  KEYS[5] waiting until
-- ARGV[1] permit id ('' to keep it)  ARGV[2] request id ('' when the request was sent: its place in the window
-- stays)  ARGV[3] token entry ('' likewise)  ARGV[4] channel  ARGV[5] account id
-- ARGV[6] the request id of a request that was sent ('' none)  ARGV[7] ms since it was written
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local freed = 0
if ARGV[6] ~= '' then
  -- its place in the window counts from when it was written, not granted: a request written late still holds its
  -- place for a whole window after it reached the provider (GT: never earlier; re-added should it have gone)
  redis.call('ZADD', KEYS[2], 'GT', string.format('%.0f', now - tonumber(ARGV[7])), ARGV[6])
end
if ARGV[1] ~= '' then freed = freed + redis.call('ZREM', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '' then freed = freed + redis.call('ZREM', KEYS[2], ARGV[2]) end
if ARGV[3] ~= '' then freed = freed + redis.call('ZREM', KEYS[3], ARGV[3]) end
if freed > 0 then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now)
  if #gone > 0 then
    redis.call('ZREM', KEYS[4], unpack(gone))
    redis.call('ZREM', KEYS[5], unpack(gone))
  end
  local top = redis.call('ZRANGE', KEYS[4], 0, 0)
  if #top > 0 then
    redis.call('PUBLISH', ARGV[4], ARGV[5] .. '\t' .. top[1])
    return {freed, top[1]}
  end
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
-- who was woken: a worker's id, or '' for every worker (or none, when nothing was freed)
return {freed, ''}
