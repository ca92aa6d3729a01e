package dev.llmdispatch.contract;

/** Why a record went to the dead-letter topic. */
public enum DeadLetterReason {
    UNPARSABLE, INVALID_JOB, ALL_PROVIDERS_FAILED, EMERGENCY
}
