/**
 * The command line, {@code bin/llm-dispatch} (picocli): submit a batch of jobs, show status, list, replay and purge
 * dead letters.
 */
package dev.llmdispatch.cli;
