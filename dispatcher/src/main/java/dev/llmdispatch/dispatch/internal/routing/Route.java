package dev.llmdispatch.dispatch.internal.routing;

import dev.llmdispatch.contract.Tier;
import java.util.List;

/**
 * Where a job may go, in order of preference.
 *
 * @param chain the routing chain used (TIER_1 ... or EMBEDDING)
 * @param tier  the job's settled tier (null for an embedding job without one)
 * @param candidates the accounts that can serve it, best first; empty when none can
 * @param tokens the job's estimated size (prompt plus allowed completion) in tokens
 */
public record Route(String chain, Tier tier, List<Candidate> candidates, int tokens) {

    public Route {
        candidates = List.copyOf(candidates);
    }

    public boolean isEmpty() {
        return candidates.isEmpty();
    }
}
