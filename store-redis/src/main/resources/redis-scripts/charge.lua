-- Replaces a request's estimated tokens with what the provider says it used, in the same place of the token window
-- (the grant's time stays), so that a quota counts real usage.
-- KEYS[1] tokens     zset: "request id:tokens" -> server ms of its grant
-- ARGV[1] the entry as granted ("request id:estimate")   ARGV[2] the entry as used ("request id:tokens")
-- Returns 1 when replaced, 0 when the entry had left the window (or was never there).
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], at, ARGV[2])
return 1
