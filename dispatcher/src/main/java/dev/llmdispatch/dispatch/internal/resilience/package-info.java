/**
 * What keeps the pool usable when providers fail: the reading of a provider's reply, circuit breakers and cooldowns
 * shared through Redis, health probes, emergency mode, and the record of attempts.
 */
package dev.llmdispatch.dispatch.internal.resilience;
