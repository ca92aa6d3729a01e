package dev.llmdispatch.contract;

/** Why a job did not succeed (the {@code error.code} of a result). */
public enum ErrorCode {
    /** The job itself is malformed; it is never retried. */
    INVALID_JOB,
    /** No configured account can serve the job (capability, context window, a token quota smaller than the job). */
    NO_ROUTE,
    /** A provider refused the request itself (e.g. a 400): the job is bad. */
    PROVIDER_REJECTED,
    /** Every provider of the job's chain failed. */
    ALL_PROVIDERS_FAILED,
    /** Every provider was down (emergency mode). */
    EMERGENCY,
    /** The job's deadline passed before it could start. */
    EXPIRED,
    /**
     * The limit store (Redis) failed every call for as long as the job waited for capacity; no provider was asked.
     * The job is dead-lettered, retryable: replay it when Redis is back.
     */
    CAPACITY_UNAVAILABLE,
    /**
     * The provider answered, but the answer is larger than a result record may be (the producer's
     * {@code max.request.size}); the message gives both sizes. Not retried: the same request would answer the same.
     */
    RESULT_TOO_LARGE,
    /**
     * A job read from Kafka whose tenant has spent a daily budget ({@code dispatch.tenants.<name>.requests-per-day}
     * or {@code tokens-per-day}); no provider was asked. The job is dead-lettered: replay it once the budget renews
     * (midnight UTC). A spent per-minute budget holds the tenant's jobs until the next minute instead.
     */
    BUDGET_SPENT,
    /**
     * The worker failed on the job itself, the same way {@code JobProcessor.MAX_FAILURES} times (an error of
     * llm-dispatch's, not of a provider's or of the stores'): the job is dead-lettered with the error, so that its
     * partition moves on; replay it once the cause is fixed.
     */
    PROCESSING_FAILED
}
