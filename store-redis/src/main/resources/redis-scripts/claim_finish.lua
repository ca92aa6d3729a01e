redis.call('set', KEYS[2], ARGV[2], 'px', ARGV[3])
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
redis.call('del', KEYS[3])
return 1
