/**
 * The dispatch core: {@link dev.llmdispatch.dispatch.internal.JobDispatcher} takes one job through its attempts (route,
 * capacity, call, classify, retry or fall back) to a {@link dev.llmdispatch.dispatch.DispatchOutcome}. Knows no
 * Kafka.
 */
package dev.llmdispatch.dispatch;
