package dev.llmdispatch.worker.observe.alert;

import io.github.resilience4j.core.metrics.Metrics;
import io.github.resilience4j.core.metrics.SlidingTimeWindowMetrics;
import io.github.resilience4j.core.metrics.Snapshot;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * This worker's own alert rules: failure rate and mean latency of its provider calls over a sliding window (at least
 * {@code minCalls} in it). Each alert fires once, fires again every {@code reAlert} while it lasts, and is resolved
 * once when it clears. No Redis, no sending: {@link Alerter} sends what {@link #check} returns. The window is
 * Resilience4j's {@link SlidingTimeWindowMetrics}, the one its circuit breakers use: one bucket per second, so memory
 * stays bounded whatever the call rate, and a call leaves the window within a second of its age reaching it.
 */
final class LocalAlertRules {

    private final AlertProperties settings;
    private final String worker;
    private final Clock clock;
    private final SlidingTimeWindowMetrics calls;
    private final Map<String, Long> firingSince = new HashMap<>();
    private final Map<String, Long> lastSent = new HashMap<>();

    LocalAlertRules(AlertProperties settings, String worker, Clock clock) {
        this.settings = settings;
        this.worker = worker;
        this.clock = clock;
        this.calls =
                new SlidingTimeWindowMetrics((int) Math.max(1, settings.window().toSeconds()), clock);
    }

    /** A provider call ended (from the request path: cheap). */
    void called(boolean ok, long millis) {
        calls.record(millis, TimeUnit.MILLISECONDS, ok ? Metrics.Outcome.SUCCESS : Metrics.Outcome.ERROR);
    }

    /** The alerts to send now, by the rules as they stand. */
    synchronized List<Alert> check() {
        long now = clock.millis();
        Map<String, String> local = new HashMap<>();
        Snapshot window = calls.getSnapshot();
        int total = window.getTotalNumberOfCalls();
        if (total >= settings.minCalls()) {
            double rate = window.getNumberOfFailedCalls() / (double) total;
            if (rate > settings.failureRate()) {
                local.put(
                        "failure-rate",
                        String.format(
                                "%.1f%% of %d provider calls from worker %s failed in the last %s (threshold %.0f%%)",
                                100 * rate, total, worker, settings.window(), 100 * settings.failureRate()));
            }
            double mean = window.getTotalDuration().toMillis() / (double) total;
            if (mean > settings.meanLatency().toMillis()) {
                local.put(
                        "mean-latency",
                        String.format(
                                "mean provider latency %.0f ms over %d calls from worker %s in the last %s (threshold %d"
                                        + " ms)",
                                mean,
                                total,
                                worker,
                                settings.window(),
                                settings.meanLatency().toMillis()));
            }
        }
        return transitions(local, now);
    }

    private List<Alert> transitions(Map<String, String> firing, long now) {
        List<Alert> out = new ArrayList<>();
        Set<String> keys = new HashSet<>(firing.keySet());
        keys.addAll(firingSince.keySet());
        for (String key : keys) {
            String summary = firing.get(key);
            if (summary != null && !firingSince.containsKey(key)) {
                firingSince.put(key, now);
                lastSent.put(key, now);
                out.add(new Alert(key, Alert.State.FIRING, summary, clock.instant()));
            } else if (summary != null
                    && now - lastSent.get(key) >= settings.reAlert().toMillis()) {
                lastSent.put(key, now);
                out.add(new Alert(key, Alert.State.FIRING, summary + " (still)", clock.instant()));
            } else if (summary == null) {
                firingSince.remove(key);
                lastSent.remove(key);
                out.add(new Alert(key, Alert.State.RESOLVED, "cleared on worker " + worker, clock.instant()));
            }
        }
        return out;
    }
}
