/**
 * From job records to committed outcomes: the consumer thread ({@link
 * dev.llmdispatch.worker.consume.PriorityConsumer}), the job starter, a partition's hand-over, the offset ledger
 * and the transactions that commit outcomes with their offsets, and the processing of one record ({@link
 * dev.llmdispatch.worker.consume.JobProcessor}).
 */
package dev.llmdispatch.worker.consume;
