package dev.llmdispatch.worker.observe;

import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.store.redis.RedisTraffic;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The whole fleet's traffic over the last minutes, in buckets of {@link #BUCKET}: jobs finished (succeeded,
 * failed, dead-lettered, with their end-to-end latency) and provider calls (with errors and latency). Each worker
 * adds up its own in memory and {@link #flush()}es it into Redis about once a second (one script call), so that
 * every worker's dashboard charts the same fleet-wide figures. Buckets expire after {@link #KEPT}.
 */
public final class FleetTraffic {

    public static final Duration BUCKET = Duration.ofSeconds(5);
    public static final Duration KEPT = Duration.ofMinutes(15);

    private static final List<String> FIELDS = List.of(
            "succeeded",
            "failed",
            "deadLettered",
            "jobLatencySum",
            "jobLatencyMax",
            "calls",
            "callErrors",
            "callLatencySum",
            "callLatencyMax");

    /** One bucket's figures, as charted. */
    public record Bucket(
            long startMillis,
            long succeeded,
            long failed,
            long deadLettered,
            long jobLatencySumMs,
            long jobLatencyMaxMs,
            long calls,
            long callErrors,
            long callLatencySumMs,
            long callLatencyMaxMs) {

        /** Mean end-to-end latency of the jobs finished in the bucket, or -1 without any. */
        public long jobLatencyMeanMs() {
            long n = succeeded + failed;
            return n == 0 ? -1 : jobLatencySumMs / n;
        }

        /** Mean provider call latency in the bucket, or -1 without any call. */
        public long callLatencyMeanMs() {
            return calls == 0 ? -1 : callLatencySumMs / calls;
        }
    }

    /** One bucket's figures not yet flushed: each drained atomically, so nothing counted is lost. */
    private static final class Pending {
        final AtomicLong succeeded = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong deadLettered = new AtomicLong();
        final AtomicLong jobLatencySum = new AtomicLong();
        final AtomicLong jobLatencyMax = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
        final AtomicLong callErrors = new AtomicLong();
        final AtomicLong callLatencySum = new AtomicLong();
        final AtomicLong callLatencyMax = new AtomicLong();
    }

    private final RedisTraffic store;
    private final Clock clock;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    public FleetTraffic(RedisTraffic store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    private Pending current() {
        return pending.computeIfAbsent(clock.millis() / BUCKET.toMillis(), b -> new Pending());
    }

    /** A job ended (any terminal status); {@code totalMs} from produced to answered. */
    public void jobFinished(JobStatus status, long totalMs, boolean deadLettered) {
        Pending p = current();
        (status == JobStatus.SUCCEEDED ? p.succeeded : p.failed).incrementAndGet();
        if (deadLettered) {
            p.deadLettered.incrementAndGet();
        }
        p.jobLatencySum.addAndGet(totalMs);
        p.jobLatencyMax.accumulateAndGet(totalMs, Math::max);
    }

    /** A record dead-lettered without a result (unparsable). */
    public void deadLettered() {
        current().deadLettered.incrementAndGet();
    }

    /** A provider call ended. */
    public void providerCalled(boolean ok, long millis) {
        Pending p = current();
        p.calls.incrementAndGet();
        if (!ok) {
            p.callErrors.incrementAndGet();
        }
        p.callLatencySum.addAndGet(millis);
        p.callLatencyMax.accumulateAndGet(millis, Math::max);
    }

    /** Adds what this worker counted since the last flush into the fleet's buckets in Redis (one round trip). */
    public void flush() {
        long now = clock.millis() / BUCKET.toMillis();
        List<RedisTraffic.Counts> counts = new ArrayList<>();
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            long[] values = {
                p.succeeded.getAndSet(0),
                p.failed.getAndSet(0),
                p.deadLettered.getAndSet(0),
                p.jobLatencySum.getAndSet(0),
                p.jobLatencyMax.getAndSet(0),
                p.calls.getAndSet(0),
                p.callErrors.getAndSet(0),
                p.callLatencySum.getAndSet(0),
                p.callLatencyMax.getAndSet(0)
            };
            if (e.getKey() < now - 1) {
                pending.remove(e.getKey()); // no job still counts into a bucket two buckets old
            }
            if (Arrays.stream(values).allMatch(v -> v == 0)) {
                continue;
            }
            Map<String, Long> fields = new LinkedHashMap<>();
            for (int i = 0; i < values.length; i++) {
                fields.put(FIELDS.get(i), values[i]);
            }
            counts.add(new RedisTraffic.Counts(e.getKey(), fields));
        }
        store.add(counts, KEPT);
    }

    /** The fleet's buckets over the last {@code span} (at most {@link #KEPT}), oldest first, empty ones included. */
    public List<Bucket> history(Duration span) {
        long bucketMs = BUCKET.toMillis();
        long last = clock.millis() / bucketMs;
        long count = Math.min(span.toMillis(), KEPT.toMillis()) / bucketMs;
        List<Long> buckets = new ArrayList<>();
        for (long b = last - count + 1; b <= last; b++) {
            buckets.add(b);
        }
        List<Map<String, String>> read = store.read(buckets);
        List<Bucket> out = new ArrayList<>();
        for (int i = 0; i < buckets.size(); i++) {
            Map<String, String> m = read.get(i);
            out.add(new Bucket(
                    buckets.get(i) * bucketMs,
                    get(m, "succeeded"),
                    get(m, "failed"),
                    get(m, "deadLettered"),
                    get(m, "jobLatencySum"),
                    get(m, "jobLatencyMax"),
                    get(m, "calls"),
                    get(m, "callErrors"),
                    get(m, "callLatencySum"),
                    get(m, "callLatencyMax")));
        }
        return out;
    }

    private static long get(Map<String, String> m, String field) {
        String v = m.get(field);
        return v == null ? 0 : Long.parseLong(v);
    }
}
