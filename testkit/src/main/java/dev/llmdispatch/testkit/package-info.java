/**
 * Real infrastructure for tests: a Kafka broker (Testcontainers, an embedded KRaft broker, or one in a process of
 * its own that can be killed) and redis-server, started on free ports.
 */
package dev.llmdispatch.testkit;
