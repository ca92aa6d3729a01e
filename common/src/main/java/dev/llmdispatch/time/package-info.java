/**
 * Time as llm-dispatch's code reads it: a {@link dev.llmdispatch.time.Ticker} for durations and deadlines, a
 * {@link dev.llmdispatch.time.Sleeper} for pauses, and {@link java.time.Clock} for the wall time that is written
 * down. Production code calls none of {@code System.nanoTime}, {@code System.currentTimeMillis} or
 * {@code Thread.sleep} itself (an architecture test holds it to that): tests give it a manual time instead.
 */
package dev.llmdispatch.time;
