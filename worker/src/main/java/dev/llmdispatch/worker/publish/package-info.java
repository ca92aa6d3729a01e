/**
 * What a job's outcome needs beyond Kafka: the answer store and the claims in Redis, the records an outcome is
 * written as, and the check that a reply topic can be written to.
 */
package dev.llmdispatch.worker.publish;
