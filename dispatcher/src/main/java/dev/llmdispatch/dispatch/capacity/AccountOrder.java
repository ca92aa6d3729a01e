package dev.llmdispatch.dispatch.capacity;

import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.routing.Slot;
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
 * The order a job's slots are tried in: the route's providers in their order, each provider's accounts in the order
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

    /** The slots with each provider's accounts in the order its balance strategy wants now. */
    List<Slot> balanced(List<Slot> slots) {
        List<Slot> out = new ArrayList<>(slots.size());
        int i = 0;
        while (i < slots.size()) {
            int j = i;
            String provider = slots.get(i).provider();
            while (j < slots.size() && slots.get(j).provider().equals(provider)) {
                j++;
            }
            List<Slot> pool = new ArrayList<>(slots.subList(i, j));
            if (pool.size() > 1) {
                order(provider, pool);
            }
            out.addAll(pool);
            i = j;
        }
        return out;
    }

    private void order(String provider, List<Slot> pool) {
        switch (providers.get(provider).balance()) {
            case ORDERED -> {}
            case ROUND_ROBIN ->
                Collections.rotate(pool, -(int) (roundRobin.get(provider).getAndIncrement() % pool.size()));
            case WEIGHTED -> {
                // weighted random order (Efraimidis-Spirakis): key u^(1/w), largest first
                Map<Slot, Double> keys = new HashMap<>();
                for (Slot s : pool) {
                    keys.put(
                            s,
                            Math.pow(
                                    ThreadLocalRandom.current().nextDouble(),
                                    1.0 / s.account().weight()));
                }
                pool.sort(Comparator.comparingDouble((Slot s) -> keys.get(s)).reversed());
            }
            case LEAST_INFLIGHT -> {
                Map<Slot, Double> loads = new HashMap<>();
                for (Slot s : pool) {
                    loads.put(s, load.applyAsDouble(s.accountId()));
                }
                pool.sort(Comparator.comparingDouble(loads::get));
            }
        }
    }
}
