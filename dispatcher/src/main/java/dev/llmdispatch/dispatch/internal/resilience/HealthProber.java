package dev.llmdispatch.dispatch.internal.resilience;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.HealthEvents;
import dev.llmdispatch.dispatch.ProviderHealth;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.capacity.Lease;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import dev.llmdispatch.dispatch.internal.provider.ProviderTransport;
import dev.llmdispatch.dispatch.internal.provider.WriteGate;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.spi.ProbeTurns;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Probes of the accounts blocked for an open circuit or a refused key, with a real minimal request of the kind
 * the account's jobs use (a one-token chat completion, or a one-word embedding), taken from the account's
 * fleet-wide limits like any job's: a provider whose catalogue ({@code GET /models}) answers while its completions
 * fail stays blocked. One probe per account per interval across the whole fleet (a Redis {@code SET NX} with the
 * interval as its expiry decides which worker sends it); from the second failed probe on, each doubles the
 * account's interval, up to
 * {@link #MAX_BACKOFF_FACTOR} times; a successful one lifts the block.
 */
public final class HealthProber {

    private static final Logger log = LoggerFactory.getLogger(HealthProber.class);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    /** A failing account is probed at most every interval x this. */
    public static final int MAX_BACKOFF_FACTOR = ProviderHealth.MAX_PROBE_BACKOFF_FACTOR;

    private final DispatchSettings settings;
    private final ProviderTransport client;
    private final AccountHealth health;
    private final ProbeTurns turns;
    private final Duration interval;
    private final HealthEvents events;
    private final CapacityGate gate;
    private final ReplyClassifier classifier;

    /**
     * @param gate where a probe takes its capacity, like a job (null: probes take none, for tests of the prober alone)
     */
    public HealthProber(
            DispatchSettings settings,
            ProviderTransport client,
            AccountHealth health,
            ProbeTurns turns,
            Duration interval,
            HealthEvents events,
            CapacityGate gate,
            ResilienceSettings resilience) {
        this.gate = gate;
        this.classifier = new ReplyClassifier(resilience);
        this.settings = settings;
        this.client = client;
        this.health = health;
        this.turns = turns;
        this.interval = interval;
        this.events = events;
    }

    /** Probes each blocked account whose turn it is; returns how many probes this worker sent. */
    public int probeOnce() {
        int sent = 0;
        for (Map.Entry<String, AccountBlock> e : health.cooldowns().all().entrySet()) {
            BlockReason reason = e.getValue().reason();
            if (reason != BlockReason.CIRCUIT_OPEN && reason != BlockReason.UNAUTHORIZED) {
                continue; // rate limits and quotas end by time
            }
            String account = e.getKey();
            if (!turns.take(account, interval)) {
                continue; // another worker probes it this interval
            }
            Boolean healthy = probe(account);
            if (healthy == null) {
                continue; // no capacity on the account now: nothing was sent
            }
            sent++;
            if (healthy) {
                turns.succeeded(account);
                health.recovered(account);
            } else {
                long n = turns.failed(account, interval.multipliedBy(MAX_BACKOFF_FACTOR * 4L));
                // the first failure keeps the interval (one failed probe of a flaky account says little), then doubles
                turns.hold(account, interval.multipliedBy(Math.min(MAX_BACKOFF_FACTOR, 1L << Math.min(n - 1, 30))));
                health.stillDown(account, reason);
            }
        }
        return sent;
    }

    /**
     * Asks each provider once, in parallel, whether it answers ({@code GET /models} with its first enabled account's
     * key, taking no permits, like the probes), and says in the log what it found. Run at startup, before any job:
     * it tells the operator at once about an unreachable provider or a refused key, and the first jobs' requests
     * then find the HTTP client and its connections ready (a cold client adds hundreds of milliseconds between a
     * request's grant and its arrival at the provider, which the window guard is not meant to absorb).
     *
     * @return per provider, "ok" or what went wrong (never a key)
     */
    public Map<String, String> checkProviders(Duration within) {
        Map<String, Future<String>> pending = new LinkedHashMap<>();
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            settings.providers()
                    .forEach((name, provider) -> provider.accounts().stream()
                            .filter(AccountSettings::enabled)
                            .findFirst()
                            .ifPresent(account -> {
                                Duration timeout =
                                        provider.timeout().compareTo(within) < 0 ? provider.timeout() : within;
                                // as many requests at once as the provider's jobs may have in flight (at most 16), so
                                // that
                                // the first jobs find their connections open
                                int connections = Math.clamp(
                                        provider.accounts().stream()
                                                .filter(AccountSettings::enabled)
                                                .mapToInt(a -> a.limits().hasConcurrencyLimit()
                                                        ? a.limits().concurrency()
                                                        : 1)
                                                .sum(),
                                        1,
                                        16);
                                for (int i = 1; i < connections; i++) {
                                    exec.submit(
                                            () -> client.get(provider.baseUrl(), "models", account.apiKey(), timeout));
                                }
                                pending.put(name, exec.submit(() -> {
                                    ProviderReply reply =
                                            client.get(provider.baseUrl(), "models", account.apiKey(), timeout);
                                    boolean ok = reply.status() >= 200 && reply.status() < 300;
                                    String found = ok ? "ok" : reply.describe();
                                    if (ok) {
                                        log.info(
                                                "provider {} answers at {} ({} ms)",
                                                name,
                                                provider.baseUrl(),
                                                reply.millis());
                                    } else {
                                        log.warn(
                                                "provider {} at {} did not answer healthily with the key of {}: {}",
                                                name,
                                                provider.baseUrl(),
                                                account.id(),
                                                found);
                                    }
                                    return found;
                                }));
                            }));
        }
        Map<String, String> found = new LinkedHashMap<>();
        pending.forEach((name, f) -> {
            try {
                found.put(name, f.get());
            } catch (Exception e) {
                found.put(name, e.toString());
            }
        });
        return found;
    }

    /**
     * Sends one minimal real request to the account, with capacity taken from its limits.
     *
     * @return whether it answered healthily, or null when there was no capacity to send it now
     */
    private Boolean probe(String accountId) {
        String providerName = settings.providerOf(accountId);
        if (providerName == null) {
            return null;
        }
        ProviderSettings provider = settings.providers().get(providerName);
        AccountSettings account = provider.accounts().stream()
                .filter(a -> a.id().equals(accountId))
                .findFirst()
                .orElseThrow();
        boolean chat = provider.can(Capability.CHAT);
        ObjectNode body = JobCodec.mapper().createObjectNode();
        String model = provider.modelFor(null, chat ? "chat" : "embedding");
        if (model != null) {
            body.put("model", model);
        }
        if (chat) {
            body.putArray("messages").addObject().put("role", "user").put("content", "ping");
            body.put("max_tokens", 1);
        } else {
            body.put("input", "ping");
        }
        Lease lease = gate == null ? null : gate.tryAcquireNow(new Candidate(providerName, provider, account), 1);
        if (gate != null && lease == null) {
            return null;
        }
        Duration timeout = provider.timeout().compareTo(PROBE_TIMEOUT) < 0 ? provider.timeout() : PROBE_TIMEOUT;
        ProviderReply reply = null;
        try {
            reply = client.post(
                    provider.baseUrl(),
                    (chat ? JobKind.CHAT : JobKind.EMBEDDING).endpoint(),
                    account.apiKey(),
                    body,
                    "probe-" + accountId,
                    timeout,
                    lease == null ? WriteGate.ALWAYS : lease);
        } finally {
            if (lease != null) {
                if (reply != null && reply.heldBack()) {
                    lease.unsend();
                } else {
                    lease.closeAfter(reply != null && reply.mayStillRun());
                }
            }
        }
        if (reply.heldBack()) {
            return null;
        }
        boolean ok = classifier.classify(reply, chat ? JobKind.CHAT : JobKind.EMBEDDING) instanceof Outcome.Success;
        log.info("health probe of {}: {}", accountId, ok ? "healthy" : reply.describe());
        events.probed(accountId, ok);
        return ok;
    }
}
