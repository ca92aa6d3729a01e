package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.EmergencyFlag;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/** The emergency flag as one key, {@code <prefix>:emergency}: set while up, with why. */
final class RedisEmergencyFlag implements EmergencyFlag {

    private final RBucket<String> flag;

    RedisEmergencyFlag(RedissonClient redis, String keyPrefix) {
        this.flag = redis.getBucket(RedisKeys.of(keyPrefix).emergency(), StringCodec.INSTANCE);
    }

    @Override
    public boolean isUp() {
        return flag.isExists();
    }

    @Override
    public boolean raise(String why) {
        return flag.setIfAbsent(why);
    }

    @Override
    public boolean lower() {
        return flag.delete();
    }
}
