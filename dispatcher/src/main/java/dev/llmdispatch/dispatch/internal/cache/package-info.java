/**
 * The response cache: answers kept by a hash of everything that determines them ({@code CacheKeys}), in Redis
 * ({@code RedisResponseCache}), consulted before a job takes any permit ({@code CachingDispatch}); embedding batches
 * input by input.
 */
package dev.llmdispatch.dispatch.internal.cache;
