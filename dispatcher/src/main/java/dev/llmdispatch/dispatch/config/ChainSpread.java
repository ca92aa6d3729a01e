package dev.llmdispatch.dispatch.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a chain's first choice is spread over its providers ({@code dispatch.routing.weights} and {@code
 * dispatch.routing.least-busy}); the chain's order stays the fallback behind it.
 *
 * @param weights per chain, its providers' shares of first choices (e.g. {@code TIER_3: {hunyuan: 70, nvidia: 30}}):
 *     spread by smooth weighted round robin, so every ten jobs of a 70/30 chain start 7 and 3
 * @param leastBusy chains whose providers are tried with the least busy first (the smallest share of their in-flight
 *     limit in use across the fleet)
 */
public record ChainSpread(Map<String, Map<String, Integer>> weights, Set<String> leastBusy) {

    public static final ChainSpread NONE = new ChainSpread(null, null);

    public ChainSpread {
        Map<String, Map<String, Integer>> normalised = new LinkedHashMap<>();
        if (weights != null) {
            weights.forEach((chain, shares) ->
                    normalised.put(chainName(chain), Collections.unmodifiableMap(new LinkedHashMap<>(shares))));
        }
        weights = Collections.unmodifiableMap(normalised);
        leastBusy = leastBusy == null
                ? Set.of()
                : leastBusy.stream().map(ChainSpread::chainName).collect(Collectors.toUnmodifiableSet());
    }

    /** Every problem with these against the chains, each naming its key; empty when none. */
    public List<String> problems(Map<String, List<String>> chains) {
        List<String> problems = new ArrayList<>();
        weights.forEach((chain, shares) -> {
            String key = "dispatch.routing.weights." + chain;
            List<String> entries = chains.get(chain);
            if (entries == null) {
                problems.add(key + ": no such chain, expected one of " + chains.keySet());
                return;
            }
            if (shares.isEmpty()) {
                problems.add(key + " must give at least one provider a weight");
            }
            shares.forEach((entry, weight) -> {
                if (!entries.contains(entry)) {
                    problems.add(key + "." + entry + ": not in the chain " + entries);
                }
                if (weight == null || weight <= 0) {
                    problems.add(key + "." + entry + " must be > 0, but was " + weight);
                }
            });
            if (leastBusy.contains(chain)) {
                problems.add("dispatch.routing.least-busy: " + chain + " has weights too; give it one or the other");
            }
        });
        leastBusy.stream()
                .filter(chain -> !chains.containsKey(chain))
                .forEach(chain -> problems.add("dispatch.routing.least-busy: no such chain " + chain
                        + ", expected one of " + chains.keySet()));
        return problems;
    }

    private static String chainName(String chain) {
        return chain.toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
