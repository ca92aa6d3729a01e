package dev.llmdispatch.dispatch.internal.routing;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;

/** One account of a route, with its provider. */
public record Candidate(String provider, ProviderSettings settings, AccountSettings account) {

    public String accountId() {
        return account.id();
    }
}
