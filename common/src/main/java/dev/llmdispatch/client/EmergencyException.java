package dev.llmdispatch.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A job not sent because the fleet is in emergency mode (every provider down), for a client built with {@link
 * JobClient.Builder#failFastInEmergency}. Nothing was put on Kafka: submit it again after {@link #retryAfter()}.
 */
public final class EmergencyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Duration retryAfter;

    EmergencyException(String jobId, String reason, Instant since, Duration retryAfter) {
        super(
                "job " + jobId + " was not sent: every provider is down (" + reason + ") since " + since
                        + "; try again in about " + retryAfter.toSeconds() + " s",
                null,
                false,
                false);
        this.retryAfter = retryAfter;
    }

    /** When a provider may be back. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
