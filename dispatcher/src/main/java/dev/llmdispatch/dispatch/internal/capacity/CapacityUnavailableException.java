package dev.llmdispatch.dispatch.internal.capacity;

/** The capacity store (Redis) failed every call for as long as the job waited. */
public final class CapacityUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CapacityUnavailableException(long waitedMillis, String lastError) {
        super(
                "the limit store (Redis) failed every call for " + waitedMillis + " ms while the job waited for "
                        + "capacity; last error: " + lastError,
                null,
                false,
                false);
    }
}
