package dev.llmdispatch.dispatch.internal.routing;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Smooth weighted round robin (nginx's): each pick adds every entry's weight to its running score, takes the highest
 * and takes the total off it. Over any run of {@code total} picks each entry gets exactly its weight, spread evenly
 * (70/30 gives A A B A A B A A B A ...), with no randomness to drift.
 */
final class SmoothWeights {

    private final List<String> entries;
    private final int[] weights;
    private final int total;
    private final int[] current;

    SmoothWeights(Map<String, Integer> shares) {
        this.entries = List.copyOf(shares.keySet());
        this.weights = shares.values().stream().mapToInt(Integer::intValue).toArray();
        this.total = Arrays.stream(weights).sum();
        this.current = new int[weights.length];
    }

    synchronized String next() {
        int best = 0;
        for (int i = 0; i < weights.length; i++) {
            current[i] += weights[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        return entries.get(best);
    }
}
