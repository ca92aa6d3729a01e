-- Keeps a worker's declared limits of one account in force while it lives, also while it asks for nothing.
-- KEYS[1] limits  ARGV[1] the declaration  ARGV[2] its ttl ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return 1
