redis.replicate_commands()
-- Gives back room on one account and tells every worker (pub/sub) that the account has room again.
-- KEYS[1] in-flight  KEYS[2] requests  KEYS[3] tokens
-- ARGV[1] permit id ('' to keep it)  ARGV[2] request id ('' when the request was sent: its place in the window
-- stays)  ARGV[3] token entry ('' likewise)  ARGV[4] channel  ARGV[5] account id
-- ARGV[6] the request id of a request that was sent ('' none)  ARGV[7] ms since it was written
-- ARGV[8] its entry in the token window ('' none)
-- ARGV[9], ARGV[10] how long the request and token windows' keys must live after a place is moved into them (ms)
local freed = 0
-- a moved place keeps its key alive a whole window from the move, not only from the last grant (never shortened)
local function keep(key, span)
  if redis.call('PTTL', key) < tonumber(span) then redis.call('PEXPIRE', key, span) end
end
if ARGV[6] ~= '' or ARGV[8] ~= '' then
  -- its place in the window counts from when it was written, not granted: a request written late still holds its
  -- place for a whole window after it reached the provider (GT: never earlier; re-added should it have gone); its
  -- tokens likewise, as the provider counts them from the request's arrival
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local at = string.format('%.0f', now - tonumber(ARGV[7]))
  if ARGV[6] ~= '' then
    redis.call('ZADD', KEYS[2], 'GT', at, ARGV[6])
    keep(KEYS[2], ARGV[9])
  end
  if ARGV[8] ~= '' then
    redis.call('ZADD', KEYS[3], 'GT', at, ARGV[8])
    keep(KEYS[3], ARGV[10])
  end
end
if ARGV[1] ~= '' then freed = freed + redis.call('ZREM', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '' then freed = freed + redis.call('ZREM', KEYS[2], ARGV[2]) end
if ARGV[3] ~= '' then freed = freed + redis.call('ZREM', KEYS[3], ARGV[3]) end
if freed > 0 then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return freed
