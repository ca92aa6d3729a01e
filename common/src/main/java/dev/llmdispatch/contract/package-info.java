/**
 * The public contract as code: the Job, JobResult and DeadLetter records and their JSON ({@link
 * dev.llmdispatch.contract.JobCodec}), the status, error and reason codes, topic names and record headers, and the
 * validator that checks a job against the contract before it is sent or run.
 */
package dev.llmdispatch.contract;
