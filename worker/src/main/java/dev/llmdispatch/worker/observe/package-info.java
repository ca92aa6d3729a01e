/**
 * Metrics, the request log and the fleet-wide traffic figures kept in Redis.
 */
package dev.llmdispatch.worker.observe;
