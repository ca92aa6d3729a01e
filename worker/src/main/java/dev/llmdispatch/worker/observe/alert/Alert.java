package dev.llmdispatch.worker.observe.alert;

import java.time.Instant;

/**
 * One alert notice.
 *
 * @param key     what it is about, e.g. {@code failure-rate}, {@code account-disabled:hunyuan-1}
 * @param state   FIRING or RESOLVED
 * @param summary a sentence for people
 */
public record Alert(String key, State state, String summary, Instant at) {
    public enum State {
        FIRING,
        RESOLVED
    }

    public String text() {
        return "[llm-dispatch] " + (state == State.FIRING ? "ALERT " : "RESOLVED ") + key + ": " + summary;
    }
}
