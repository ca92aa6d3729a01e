/**
 * The worker: a Spring Boot application that consumes jobs from Kafka, dispatches them and writes their results.
 */
package dev.llmdispatch.worker;
