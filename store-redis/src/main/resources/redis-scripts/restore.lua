-- A worker that knew epoch ARGV[1] checks it still holds; when the state was lost (or remade since), it puts
-- back its permits still leased, so that requests still at the provider keep counting.
-- KEYS[1] state  KEYS[2] in-flight
-- ARGV[1] known epoch  ARGV[2] new epoch id  ARGV[3] ms to wait for live workers  ARGV[4] the quiet period ms (the longest sliding
-- window, of requests or tokens)
-- ARGV[5..] permit id, lease ms left, permit id, lease ms left, ...
-- A state made by another Redis process (restarted from its AOF or RDB, a replica that took over) counts as lost.
-- Returns {epoch, 1 when permits were put back else 0}
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function ms(x) return string.format('%.0f', x) end
local server = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch or redis.call('HGET', KEYS[1], 'server') ~= server then
  epoch = ARGV[2]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'born', ms(now), 'restoreUntil', ms(now + tonumber(ARGV[3])),
      'quietUntil', ms(now + tonumber(ARGV[4])), 'server', server)
elseif epoch ~= ARGV[1] then
  local born = tonumber(redis.call('HGET', KEYS[1], 'born'))
  if born + tonumber(ARGV[4]) > tonumber(redis.call('HGET', KEYS[1], 'quietUntil')) then
    redis.call('HSET', KEYS[1], 'quietUntil', ms(born + tonumber(ARGV[4])))
  end
end
if epoch == ARGV[1] then
  return {epoch, 0}
end
for i = 5, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], 'NX', now + tonumber(ARGV[i + 1]), ARGV[i])
end
return {epoch, 1}
