/**
 * Everything on one machine: a real Kafka broker and Redis, the simulator (or the real providers), a worker; and
 * the fleet benchmark.
 */
package dev.llmdispatch.standalone;
