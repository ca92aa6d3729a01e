package dev.llmdispatch.dispatch;

/** Why an account is blocked; all but RATE_LIMITED end early only when a health probe succeeds. */
public enum BlockReason {
    RATE_LIMITED,
    QUOTA_EXHAUSTED,
    UNAUTHORIZED,
    CIRCUIT_OPEN;

    /** Whether a job should wait for the block to end (a short cooldown) rather than look elsewhere. */
    public boolean brief() {
        return this == RATE_LIMITED;
    }
}
