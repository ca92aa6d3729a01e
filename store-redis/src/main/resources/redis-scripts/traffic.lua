local n = 1
for i, key in ipairs(KEYS) do
  local fields = tonumber(ARGV[n]); n = n + 1
  for f = 1, fields do
    local name = ARGV[n]; local value = tonumber(ARGV[n + 1]); n = n + 2
    if string.sub(name, -3) == 'Max' then
      local old = tonumber(redis.call('HGET', key, name) or '0')
      if value > old then redis.call('HSET', key, name, value) end
    else
      redis.call('HINCRBY', key, name, value)
    end
  end
  redis.call('PEXPIRE', key, ARGV[n]); n = n + 1
end
return 0
