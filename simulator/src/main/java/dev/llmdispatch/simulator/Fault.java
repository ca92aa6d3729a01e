package dev.llmdispatch.simulator;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * A fault injected on an account (or on every account, {@code "*"}), applied to calls that pass the
 * account's limits (a provider counts every request that reaches it).
 *
 * <ul>
 *   <li>{@code down}: every call gets 503</li>
 *   <li>{@code flaky}: a call gets 500 with {@code probability}</li>
 *   <li>{@code slow}: every call takes {@code latencyMs} longer</li>
 *   <li>{@code storm}: a call gets 429 with Retry-After {@code retryAfterMs}, with {@code probability}</li>
 *   <li>{@code malformed}: a call gets 200 with a truncated or non-JSON body, with {@code probability}</li>
 *   <li>{@code status}: a call gets HTTP {@code status} (e.g. 401), with {@code probability}; a 401 or 403 is
 *       answered on {@code GET /models} too (a refused key is refused everywhere)</li>
 *   <li>{@code crowded}: the account serves at most {@code limit} calls at once, a limit it does not publish (more get
 *       429), and each call takes {@code latencyMs} longer per call in flight</li>
 *   <li>{@code stall}: a call gets its headers and the first bytes of its body (a streamed one, its first chunk), then
 *       nothing for {@code latencyMs} (default a minute), after which its connection is closed: a provider that hangs
 *       mid-answer</li>
 * </ul>
 */
public record Fault(
        String account,
        Mode mode,
        Double probability,
        Long latencyMs,
        Long retryAfterMs,
        Integer status,
        Integer limit) {

    /** What a fault does to a call; written in lower case in JSON ({@code "mode": "down"}). */
    public enum Mode {
        DOWN,
        FLAKY,
        SLOW,
        STORM,
        MALFORMED,
        STATUS,
        CROWDED,
        STALL;

        @JsonCreator
        public static Mode parse(String text) {
            for (Mode m : values()) {
                if (m.wire().equals(text)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(
                    "fault.mode must be down, flaky, slow, storm, malformed, status, crowded or stall, but was "
                            + text);
        }

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Fault {
        account = account == null ? "*" : account;
        if (mode == null) {
            throw new IllegalArgumentException(
                    "fault.mode is required: down, flaky, slow, storm, malformed, status, crowded or stall");
        }
        probability = probability == null ? 1.0 : probability;
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("fault.probability must be within 0..1, but was " + probability);
        }
        latencyMs = latencyMs == null ? 0L : latencyMs;
        retryAfterMs = retryAfterMs == null ? 1000L : retryAfterMs;
        if (mode == Mode.CROWDED && (limit == null || limit < 1)) {
            throw new IllegalArgumentException("fault.limit must be >= 1 with mode crowded, but was " + limit);
        }
        if (mode == Mode.STATUS && (status == null || status < 100 || status > 599)) {
            throw new IllegalArgumentException(
                    "fault.status must be an HTTP status with mode status, but was " + status);
        }
    }

    /** A fault of {@code mode} (its JSON name: down, flaky, ...) on the account, hitting with {@code probability}. */
    public static Fault of(String account, String mode, double probability) {
        return new Fault(account, Mode.parse(mode), probability, null, null, null, null);
    }

    public static Fault storm(String account, long retryAfterMs) {
        return new Fault(account, Mode.STORM, 1.0, null, retryAfterMs, null, null);
    }

    public static Fault status(String account, int status) {
        return new Fault(account, Mode.STATUS, 1.0, null, null, status, null);
    }

    public static Fault slow(String account, long latencyMs) {
        return new Fault(account, Mode.SLOW, 1.0, latencyMs, null, null, null);
    }

    /**
     * An account that serves at most {@code limit} calls at once without saying so (429 past it), each call
     * {@code latencyPerCallMs} slower per call in flight.
     */
    public static Fault crowded(String account, int limit, long latencyPerCallMs) {
        return new Fault(account, Mode.CROWDED, 1.0, latencyPerCallMs, null, null, limit);
    }

    /** An account that sends each answer's headers and first bytes, then nothing for {@code stallMs}. */
    public static Fault stall(String account, long stallMs) {
        return new Fault(account, Mode.STALL, 1.0, stallMs, null, null, null);
    }
}
