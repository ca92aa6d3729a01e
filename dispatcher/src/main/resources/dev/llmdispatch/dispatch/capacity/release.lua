-- Gives back room on one account and tells every worker (pub/sub) that the account has room again.
-- KEYS[1] in-flight  KEYS[2] requests  KEYS[3] tokens
-- ARGV[1] permit id ('' to keep it)  ARGV[2] request id ('' when the request was sent: its place in the window
-- stays)  ARGV[3] token entry ('' likewise)  ARGV[4] channel  ARGV[5] account id
local freed = 0
if ARGV[1] ~= '' then freed = freed + redis.call('ZREM', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '' then freed = freed + redis.call('ZREM', KEYS[2], ARGV[2]) end
if ARGV[3] ~= '' then freed = freed + redis.call('ZREM', KEYS[3], ARGV[3]) end
if freed > 0 then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return freed
