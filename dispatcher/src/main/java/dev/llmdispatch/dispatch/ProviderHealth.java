package dev.llmdispatch.dispatch;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.Map;

/** The accounts' circuits and the health probes that close them again. */
public interface ProviderHealth {

    /** A failing account is probed at most every probe interval times this. */
    int MAX_PROBE_BACKOFF_FACTOR = 8;

    /** Each account's circuit, as this worker's breakers have it. */
    Map<String, CircuitBreaker.State> circuitStates();

    /** Asks each provider's {@code /models} once, within {@code within}: what failed, by provider. */
    Map<String, String> checkProviders(Duration within);

    /** Probes the blocked accounts whose turn it is (one worker of the fleet for each); how many it probed. */
    int probeOnce();
}
