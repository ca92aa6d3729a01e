package dev.llmdispatch.contract;

/** The terminal state of a job: every job ends in exactly one of these. */
public enum JobStatus {
    SUCCEEDED,
    FAILED,
    REJECTED,
    EXPIRED
}
