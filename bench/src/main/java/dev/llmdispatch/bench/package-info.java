/**
 * The benchmarks that run llm-dispatch's workers as separate processes, as a deployment does: throughput against a
 * plain Kafka consume → HTTP → produce loop ({@link dev.llmdispatch.bench.BaselineLoop}), with CPU and
 * memory per process.
 */
package dev.llmdispatch.bench;
