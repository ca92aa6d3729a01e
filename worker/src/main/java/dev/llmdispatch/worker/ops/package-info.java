/**
 * What on-call engineers use: the status and dashboard APIs, dead letters and their replay, queue lag.
 */
package dev.llmdispatch.worker.ops;
