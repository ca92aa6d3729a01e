package dev.llmdispatch.simulator;

import java.time.Duration;

/**
 * One simulated provider account, known by its API key, with exact limits.
 *
 * @param id            name in stats and the call log
 * @param key           the API key (Bearer token) that selects this account
 * @param requests      at most this many requests in any window of {@code per} (0: no limit)
 * @param per           the window of {@code requests}, e.g. {@code 6s}
 * @param concurrency   at most this many requests in flight (0: no limit)
 * @param contextWindow prompts estimated above this many tokens get a 400 context_length_exceeded (0: none)
 * @param style         the shape of error bodies: {@code openai}, {@code nvidia} or {@code siliconflow}
 */
public record SimAccount(
        String id, String key, int requests, String per, int concurrency, int contextWindow, String style) {

    public SimAccount {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("accounts[].id is required");
        }
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("accounts[" + id + "].key is required");
        }
        if (requests < 0 || concurrency < 0 || contextWindow < 0) {
            throw new IllegalArgumentException("accounts[" + id + "] limits must be >= 0, but were requests=" + requests
                    + " concurrency=" + concurrency + " contextWindow=" + contextWindow);
        }
        if (requests > 0 && DurationText.parse("accounts[" + id + "].per", per) == null) {
            throw new IllegalArgumentException("accounts[" + id + "].per is required with requests");
        }
        style = style == null ? "openai" : style;
        if (!style.equals("openai") && !style.equals("nvidia") && !style.equals("siliconflow")) {
            throw new IllegalArgumentException(
                    "accounts[" + id + "].style must be openai, nvidia or siliconflow, but was " + style);
        }
    }

    /** An account with a request window and a concurrency limit, OpenAI-style errors. */
    public static SimAccount of(String id, String key, int requests, Duration per, int concurrency) {
        return new SimAccount(id, key, requests, per == null ? null : per.toMillis() + "ms", concurrency, 0, null);
    }

    public Duration window() {
        return DurationText.parse("accounts[" + id + "].per", per);
    }

    @Override
    public String toString() {
        return "SimAccount[" + id + ", requests=" + requests + "/" + per + ", concurrency=" + concurrency + "]";
    }
}
