package dev.llmdispatch.dispatch.config;

/**
 * One provider account.
 *
 * @param id     unique across all providers, e.g. {@code nvidia-1}
 * @param apiKey the secret; empty disables the account. Never printed: {@link #toString()} redacts it.
 * @param limits the account's limits (none when absent)
 * @param weight the share of traffic under {@code weighted} balance (default 1)
 */
public record AccountSettings(String id, String apiKey, Limits limits, Integer weight) {

    public AccountSettings {
        limits = limits == null ? Limits.NONE : limits;
        weight = weight == null ? 1 : weight;
        apiKey = apiKey == null ? "" : apiKey;
    }

    public boolean enabled() {
        return !apiKey.isBlank();
    }

    @Override
    public String toString() {
        return "AccountSettings[id=" + id + ", apiKey=" + (enabled() ? "****" : "(none)") + ", limits=" + limits
                + ", weight=" + weight + "]";
    }
}
