package dev.llmdispatch.contract;

/** Why a record went to the dead-letter topic. */
public enum DeadLetterReason {
    UNPARSABLE,
    INVALID_JOB,
    ALL_PROVIDERS_FAILED,
    EMERGENCY,
    /**
     * The job's result could not be written for a reason that does not heal (the reply topic refuses this worker,
     * the record is too large): the job is not run again; its outcome is kept by job id.
     */
    UNDELIVERABLE,
    /** The job's tenant had spent a daily budget ({@link ErrorCode#BUDGET_SPENT}): replay it once it renews. */
    BUDGET_SPENT,
    /** The worker failed on the job itself, again and again ({@link ErrorCode#PROCESSING_FAILED}). */
    PROCESSING_FAILED
}
