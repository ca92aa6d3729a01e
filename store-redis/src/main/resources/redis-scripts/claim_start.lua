local claimed = 0
if redis.call('set', KEYS[1], ARGV[1], 'nx', 'px', ARGV[2]) then claimed = 1 end
local answer = redis.call('get', KEYS[2])
if not answer then answer = '' end
local out = {tostring(claimed), answer}
if claimed == 1 then
  for _, attempt in ipairs(redis.call('lrange', KEYS[3], 0, -1)) do out[#out + 1] = attempt end
end
return out
