/**
 * How the fleet shares each account's limits: in-flight permits, request windows and token quotas kept in Redis by
 * Lua scripts on the Redis server's clock (the Redis adapter's {@code RedisCapacityStore}, module {@code store-redis}), and the
 * gate where a worker's jobs wait for capacity in priority order ({@link
 * dev.llmdispatch.dispatch.internal.capacity.CapacityGate}).
 */
package dev.llmdispatch.dispatch.internal.capacity;
