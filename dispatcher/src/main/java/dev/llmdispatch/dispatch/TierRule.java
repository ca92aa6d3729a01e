package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.RoutingRules;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import java.time.Clock;

/** The tier a job runs at: its own, or the one the routing rules settle for a job that names none. */
public interface TierRule {

    Tier settleTier(Job job);

    static TierRule of(DispatchSettings settings, RoutingRules rules, Clock clock) {
        return new RoutePlanner(settings, rules, clock);
    }
}
