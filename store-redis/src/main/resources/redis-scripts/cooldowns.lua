-- The fleet's cooldowns with the server's clock, read together: each block's end is a time on this clock, and a worker
-- reads it on its own clock as the time left, whatever the two clocks say.
-- KEYS[1] cooldowns hash
-- Returns {server time ms, account, untilMs|REASON, account, untilMs|REASON, ...}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, string.format('%.0f', now))
return out
