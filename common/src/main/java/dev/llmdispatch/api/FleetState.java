package dev.llmdispatch.api;

import java.time.Instant;

/**
 * What the workers tell producers about the fleet, on the status topic ({@link
 * dev.llmdispatch.contract.Topics#status()}, compacted, one record keyed {@value #KEY}): read with any Kafka client,
 * no Redis needed.
 *
 * @param emergency every provider is down: the workers have stopped taking jobs
 * @param reason a sentence for people
 * @param since when the current state began
 * @param retryAfterSeconds in emergency, when a provider may be back (the soonest cooldown end; at least 1)
 */
public record FleetState(boolean emergency, String reason, Instant since, long retryAfterSeconds) {

    /** The record key of the fleet's state on the status topic. */
    public static final String KEY = "fleet";

    public static final FleetState NORMAL = new FleetState(false, "providers available", Instant.EPOCH, 0);
}
