package dev.llmdispatch.worker.observe;

import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.CacheEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every metric of a worker: the names (Micrometer's dotted names; Prometheus shows {@code llm.dispatch.jobs} as
 * {@code llm_dispatch_jobs_total}) and the recording of each event. Meters are made once, on their first use, and
 * kept. The gauges, which read state rather than count events, are registered with these names where that state
 * lives ({@link AccountMetrics}, the queue-lag and emergency tasks).
 */
public final class Metrics {

    public static final String JOBS = "llm.dispatch.jobs";
    public static final String ANSWERED_AGAIN = "llm.dispatch.answered.again";
    public static final String CACHE_HITS = "llm.dispatch.cache.hits";
    public static final String CACHE_MISSES = "llm.dispatch.cache.misses";
    public static final String CACHE_HIT_BYTES = "llm.dispatch.cache.hit.bytes";
    public static final String CACHE_STORED_BYTES = "llm.dispatch.cache.stored.bytes";
    public static final String DEAD_LETTERS = "llm.dispatch.dead.letters";
    public static final String JOB_QUEUE_WAIT = "llm.dispatch.job.queue.wait";
    public static final String JOB_CAPACITY_WAIT = "llm.dispatch.job.capacity.wait";
    public static final String DISPATCH_OVERHEAD = "llm.dispatch.dispatch.overhead";
    public static final String JOB_START = "llm.dispatch.job.start";
    public static final String GRANT_AGE = "llm.dispatch.grant.age";
    public static final String SEND_DELAY = "llm.dispatch.request.send.delay";
    public static final String PROVIDER_CALLS = "llm.dispatch.provider.calls";
    public static final String PROVIDER_LATENCY = "llm.dispatch.provider.latency";
    public static final String PROVIDER_TOKENS = "llm.dispatch.provider.tokens";
    public static final String TENANT_REQUESTS = "llm.dispatch.tenant.requests";
    public static final String TENANT_TOKENS = "llm.dispatch.tenant.tokens";
    public static final String ALERTS = "llm.dispatch.alerts";
    public static final String ACCOUNT_RECOVERIES = "llm.dispatch.account.recoveries";
    public static final String HEALTH_PROBES = "llm.dispatch.health.probes";
    public static final String REDIS_ROUND_TRIPS = "llm.dispatch.redis.round.trips";
    // gauges and function counters, registered where their state lives
    public static final String EMERGENCY = "llm.dispatch.emergency";
    public static final String QUEUE_LAG = "llm.dispatch.queue.lag";
    public static final String ACCOUNT_IN_FLIGHT = "llm.dispatch.account.in.flight";
    public static final String ACCOUNT_ADAPTIVE_LIMIT = "llm.dispatch.account.adaptive.limit";
    public static final String ACCOUNT_WINDOW_REMAINING = "llm.dispatch.account.window.remaining";
    public static final String ACCOUNT_TOKEN_QUOTA = "llm.dispatch.account.token.quota";
    public static final String ACCOUNT_TOKENS_REMAINING = "llm.dispatch.account.tokens.remaining";
    public static final String ACCOUNT_BLOCKED = "llm.dispatch.account.blocked";
    public static final String CIRCUIT_STATE = "llm.dispatch.circuit.state";
    public static final String BUFFERED_JOBS = "llm.dispatch.buffered.jobs";
    public static final String JOBS_WAITING_CAPACITY = "llm.dispatch.jobs.waiting.capacity";
    public static final String JOBS_IN_FLIGHT = "llm.dispatch.jobs.in.flight";
    public static final String CAPACITY_HANDOVERS = "llm.dispatch.capacity.handovers";
    public static final String OUTCOME_TRANSACTIONS = "llm.dispatch.outcome.transactions";

    private final MeterRegistry meters;
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();

    public Metrics(MeterRegistry meters) {
        this.meters = meters;
    }

    /** A job ended with this status ({@code ALREADY_ANSWERED}: its stored outcome was given again). */
    public void jobEnded(String status, Priority priority) {
        counter(JOBS, "jobs by how they ended", "status", status, "priority", priority.name())
                .increment();
    }

    /** A job delivered again answered from the answer store, without a provider call. */
    public void answeredAgain(Priority priority) {
        jobEnded("ALREADY_ANSWERED", priority);
        counter(ANSWERED_AGAIN, "jobs delivered again and answered from the answer store, without a provider call")
                .increment();
    }

    /** What the response cache saw: answers (embedding inputs, for embeddings) found, missed, and bytes. */
    public CacheEvents cacheEvents() {
        return new CacheEvents() {
            @Override
            public void hits(JobKind kind, int count, long bytes) {
                counter(CACHE_HITS, "answers (embedding inputs) served from the response cache", "kind", kind.name())
                        .increment(count);
                counter(CACHE_HIT_BYTES, "bytes served from the response cache").increment(bytes);
            }

            @Override
            public void misses(JobKind kind, int count) {
                counter(
                                CACHE_MISSES,
                                "answers (embedding inputs) looked for in the response cache and not found",
                                "kind",
                                kind.name())
                        .increment(count);
            }

            @Override
            public void stored(long bytes) {
                counter(CACHE_STORED_BYTES, "bytes written to the response cache")
                        .increment(bytes);
            }
        };
    }

    /**
     * A request this worker wrote to Redis: a command, a script call ({@code script:NAME}) or a pipelined batch, one
     * round trip each; {@code client}: {@code limits} or {@code cache} (the response cache's own Redis).
     */
    public void redisRoundTrip(String client, String connection, String command) {
        counter(
                        REDIS_ROUND_TRIPS,
                        "requests written to Redis: a command, a script call or a pipelined batch, one round trip each",
                        "client",
                        client,
                        "connection",
                        connection,
                        "command",
                        command)
                .increment();
    }

    public void deadLettered(DeadLetterReason reason) {
        counter(DEAD_LETTERS, "dead letters written, by reason", "reason", reason.name())
                .increment();
    }

    /** Produced to taken, and the wait for capacity, of a job that ran. */
    public void waited(Priority priority, long queuedMillis, long capacityMillis) {
        timer(JOB_QUEUE_WAIT, "job produced to taken by a worker", false, "priority", priority.name())
                .record(Duration.ofMillis(queuedMillis));
        timer(JOB_CAPACITY_WAIT, "a job's wait for capacity", false, "priority", priority.name())
                .record(Duration.ofMillis(capacityMillis));
    }

    /** From a worker taking a job to handing it to the dispatcher: the record read, the claim, the checks. */
    public void jobStart(long nanos) {
        timer(
                        JOB_START,
                        "from a worker taking a job to handing it to the dispatcher (the record read, the claim with "
                                + "its stored answer and attempts, the checks; a wait for another worker's claim "
                                + "included)",
                        true)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void dispatchOverhead(long nanos) {
        timer(
                        DISPATCH_OVERHEAD,
                        "from the dispatcher taking a job to its first request leaving, less the capacity wait",
                        true)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void grantAge(String account, boolean sent, long nanos) {
        timer(
                        GRANT_AGE,
                        "how old a request's capacity grant was when the request was about to be written; "
                                + "held_back: past the window guard, so it was given back and asked for afresh",
                        true,
                        "account",
                        account,
                        "outcome",
                        sent ? "sent" : "held_back")
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void sendDelay(String account, long nanos) {
        timer(
                        SEND_DELAY,
                        "from a request being let go to be written to the HTTP client taking its body: more than a few "
                                + "ms only when this JVM was starved between the two (its window place then counts "
                                + "from when it left)",
                        true,
                        "account",
                        account)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void providerCalled(String account, String outcome, long millis, long totalTokens) {
        counter(PROVIDER_CALLS, "provider calls by account and outcome", "account", account, "outcome", outcome)
                .increment();
        timer(PROVIDER_LATENCY, "provider call latency", true, "account", account)
                .record(Duration.ofMillis(millis));
        if (totalTokens > 0) {
            counter(PROVIDER_TOKENS, "tokens the providers reported used", "account", account)
                    .increment(totalTokens);
        }
    }

    /**
     * A tenant's request (an HTTP request, or a job from Kafka about to start): {@code admitted}, or why not
     * ({@code budget}: a budget is spent, {@code held}: a job from Kafka waits for its minute's budget to renew,
     * {@code forbidden}, {@code unavailable}).
     */
    public void tenantRequest(String tenant, String outcome) {
        counter(TENANT_REQUESTS, "tenants' requests by outcome", "tenant", tenant, "outcome", outcome)
                .increment();
    }

    /** Tokens a tenant's answered requests used, as charged to its budgets. */
    public void tenantTokens(String tenant, long tokens) {
        counter(TENANT_TOKENS, "tokens used by tenants' answered jobs", "tenant", tenant)
                .increment(tokens);
    }

    /** An alert-worthy event of this worker: {@code account} null for one of no account (tagged "-"). */
    public void alert(String kind, String account) {
        counter(ALERTS, "alert-worthy events", "kind", kind, "account", account == null ? "-" : account)
                .increment();
    }

    public void accountRecovered(String account) {
        counter(ACCOUNT_RECOVERIES, "blocked accounts back in use", "account", account)
                .increment();
    }

    public void probed(String account, boolean ok) {
        counter(HEALTH_PROBES, "health probes of blocked accounts", "account", account, "result", ok ? "ok" : "failed")
                .increment();
    }

    private Counter counter(String name, String description, String... tags) {
        return counters.computeIfAbsent(
                key(name, tags),
                k -> Counter.builder(name).description(description).tags(tags).register(meters));
    }

    private Timer timer(String name, String description, boolean histogram, String... tags) {
        return timers.computeIfAbsent(key(name, tags), k -> {
            Timer.Builder b = Timer.builder(name).description(description).tags(tags);
            if (histogram) {
                b.publishPercentileHistogram();
            }
            return b.register(meters);
        });
    }

    private static List<String> key(String name, String... tags) {
        String[] all = new String[tags.length + 1];
        all[0] = name;
        System.arraycopy(tags, 0, all, 1, tags.length);
        return List.of(all);
    }
}
