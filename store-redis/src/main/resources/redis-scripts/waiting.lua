-- A worker's best job waiting for one account, for the fleet-wide priority of acquire.lua: published (ARGV[2]
-- is its urgency ms; its rank is now + this) or, with ARGV[2] = '', withdrawn.
-- KEYS[1] waiting  KEYS[2] waiting until  KEYS[3] waiting tokens   ARGV[1] worker id  ARGV[3] entry ttl ms
-- ARGV[4] the tokens the job needs
if ARGV[2] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
return 1
