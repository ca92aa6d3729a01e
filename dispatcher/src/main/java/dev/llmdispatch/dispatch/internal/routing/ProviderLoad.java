package dev.llmdispatch.dispatch.internal.routing;

/** How busy a provider is across the fleet now: the share of its accounts' in-flight limits in use, 0 to 1. */
@FunctionalInterface
public interface ProviderLoad {

    double of(String provider);

    /** Every provider idle: chains keep their order. */
    ProviderLoad NONE = provider -> 0;
}
