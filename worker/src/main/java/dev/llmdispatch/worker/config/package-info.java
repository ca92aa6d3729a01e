/**
 * The worker's configuration ({@code dispatch.*} properties) and the wiring of the dispatch core, Kafka and Redis.
 */
package dev.llmdispatch.worker.config;
