package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The order a job's candidates are tried in: the route's providers in their order, each provider's accounts in the order
 * its {@code balance} wants now (ordered, round-robin, weighted random, least in flight).
 */
final class AccountOrder {

    private final Map<String, ProviderSettings> providers;
    private final Map<String, AtomicLong> roundRobin = new HashMap<>();
    private final ToDoubleFunction<String> load;

    /** @param load an account's share of its concurrency in use now, fleet-wide (for least-inflight) */
    AccountOrder(Map<String, ProviderSettings> providers, ToDoubleFunction<String> load) {
        this.providers = providers;
        this.load = load;
        providers.keySet().forEach(name -> roundRobin.put(name, new AtomicLong()));
    }

    /** The candidates with each provider's accounts in the order its balance strategy wants now. */
    List<Candidate> balanced(List<Candidate> candidates) {
        List<Candidate> out = new ArrayList<>(candidates.size());
        int i = 0;
        while (i < candidates.size()) {
            int j = i;
            String provider = candidates.get(i).provider();
            while (j < candidates.size() && candidates.get(j).provider().equals(provider)) {
                j++;
            }
            List<Candidate> pool = new ArrayList<>(candidates.subList(i, j));
            if (pool.size() > 1) {
                order(provider, pool);
            }
            out.addAll(pool);
            i = j;
        }
        return out;
    }

    private void order(String provider, List<Candidate> pool) {
        switch (providers.get(provider).balance()) {
            case ORDERED -> {}
            case ROUND_ROBIN ->
                Collections.rotate(pool, -(int) (roundRobin.get(provider).getAndIncrement() % pool.size()));
            case WEIGHTED -> {
                // weighted random order (Efraimidis-Spirakis): key u^(1/w), largest first
                Map<Candidate, Double> keys = new HashMap<>();
                for (Candidate s : pool) {
                    keys.put(
                            s,
                            Math.pow(
                                    ThreadLocalRandom.current().nextDouble(),
                                    1.0 / s.account().weight()));
                }
                pool.sort(
                        Comparator.comparingDouble((Candidate s) -> keys.get(s)).reversed());
            }
            case LEAST_INFLIGHT -> {
                Map<Candidate, Double> loads = new HashMap<>();
                for (Candidate s : pool) {
                    loads.put(s, load.applyAsDouble(s.accountId()));
                }
                pool.sort(Comparator.comparingDouble(loads::get));
            }
        }
    }
}
