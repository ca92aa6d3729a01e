-- What an account uses now, fleet-wide, on the server's clock (read only).
-- KEYS[1] state  KEYS[2] in-flight  KEYS[3] requests  KEYS[4] tokens
-- ARGV[1] request window ms (-1 none)  ARGV[2] token window ms (-1 none; -10 - m: a daily quota whose day starts m ms
-- after UTC midnight)
-- Returns {in flight, requests in the window, tokens in the window, ms until the state has rebuilt (0: it has)}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function ms(x) return string.format('%.0f', x) end
local inFlight = redis.call('ZCOUNT', KEYS[2], '(' .. ms(now), '+inf')
local requests = 0
if tonumber(ARGV[1]) >= 0 then
  requests = redis.call('ZCOUNT', KEYS[3], '(' .. ms(now - tonumber(ARGV[1])), '+inf')
end
local tokens = 0
local tw = tonumber(ARGV[2])
if tw >= 0 or tw <= -10 then
  local from = '(' .. ms(now - tw)
  if tw <= -10 then from = ms(now - ((now - (-10 - tw)) % 86400000)) end
  for _, e in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], from, '+inf')) do
    tokens = tokens + tonumber(string.match(e, ':(%d+)$'))
  end
end
local rebuilding = 0
local state = redis.call('HMGET', KEYS[1], 'restoreUntil', 'quietUntil')
for _, u in ipairs(state) do
  if u and tonumber(u) - now > rebuilding then rebuilding = tonumber(u) - now end
end
return {inFlight, requests, tokens, rebuilding}
