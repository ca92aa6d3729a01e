/**
 * The Java client of llm-dispatch, without Spring: {@link dev.llmdispatch.client.JobClient} submits jobs and
 * completes a future with each result (read with {@code read_committed}); {@link
 * dev.llmdispatch.client.DeadLetters} lists, replays and purges dead letters.
 */
package dev.llmdispatch.client;
