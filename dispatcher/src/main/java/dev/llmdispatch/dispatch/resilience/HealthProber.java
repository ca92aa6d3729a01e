package dev.llmdispatch.dispatch.resilience;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.provider.ProviderClient;
import dev.llmdispatch.dispatch.provider.ProviderReply;
import java.time.Duration;
import java.util.Map;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Light probes ({@code GET /models}) of the accounts blocked for an open circuit or a refused key. One probe
 * per account per interval across the whole fleet (a Redis {@code SET NX} with the interval as its expiry
 * decides which worker sends it); a 2xx answer lifts the block.
 */
public final class HealthProber {

    private static final Logger log = LoggerFactory.getLogger(HealthProber.class);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final DispatchSettings settings;
    private final ProviderClient client;
    private final AccountHealth health;
    private final RedissonClient redis;
    private final String keyPrefix;
    private final Duration interval;
    private final HealthEvents events;

    public HealthProber(DispatchSettings settings, ProviderClient client, AccountHealth health, RedissonClient redis,
            String keyPrefix, Duration interval, HealthEvents events) {
        this.settings = settings;
        this.client = client;
        this.health = health;
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.interval = interval;
        this.events = events;
    }

    /** Probes each blocked account whose turn it is; returns how many probes this worker sent. */
    public int probeOnce() {
        int sent = 0;
        for (Map.Entry<String, Cooldowns.Block> e : health.cooldowns().all().entrySet()) {
            Cooldowns.Reason reason = e.getValue().reason();
            if (reason != Cooldowns.Reason.CIRCUIT_OPEN && reason != Cooldowns.Reason.UNAUTHORIZED) {
                continue; // rate limits and quotas end by time
            }
            String account = e.getKey();
            RBucket<String> turn = redis.getBucket(keyPrefix + ":{" + account + "}:probe", StringCodec.INSTANCE);
            if (!turn.setIfAbsent("probing", interval)) {
                continue; // another worker probes it this interval
            }
            if (probe(account)) {
                health.recovered(account);
            }
            sent++;
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
        Map<String, java.util.concurrent.Future<String>> pending = new java.util.LinkedHashMap<>();
        try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            settings.providers().forEach((name, provider) -> provider.accounts().stream().filter(AccountSettings::enabled)
                    .findFirst().ifPresent(account -> pending.put(name, exec.submit(() -> {
                        Duration timeout = provider.timeout().compareTo(within) < 0 ? provider.timeout() : within;
                        ProviderReply reply = client.get(provider.baseUrl(), "models", account.apiKey(), timeout);
                        boolean ok = reply.status() >= 200 && reply.status() < 300;
                        String found = ok ? "ok" : reply.describe();
                        if (ok) {
                            log.info("provider {} answers at {} ({} ms)", name, provider.baseUrl(), reply.millis());
                        } else {
                            log.warn("provider {} at {} did not answer well with the key of {}: {}", name,
                                    provider.baseUrl(), account.id(), found);
                        }
                        return found;
                    }))));
        }
        Map<String, String> found = new java.util.LinkedHashMap<>();
        pending.forEach((name, f) -> {
            try {
                found.put(name, f.get());
            } catch (Exception e) {
                found.put(name, e.toString());
            }
        });
        return found;
    }

    private boolean probe(String accountId) {
        String providerName = settings.providerOf(accountId);
        if (providerName == null) {
            return false;
        }
        ProviderSettings provider = settings.providers().get(providerName);
        AccountSettings account = provider.accounts().stream().filter(a -> a.id().equals(accountId)).findFirst()
                .orElseThrow();
        Duration timeout = provider.timeout().compareTo(PROBE_TIMEOUT) < 0 ? provider.timeout() : PROBE_TIMEOUT;
        ProviderReply reply = client.get(provider.baseUrl(), "models", account.apiKey(), timeout);
        boolean ok = reply.status() >= 200 && reply.status() < 300;
        log.info("health probe of {}: {}", accountId, ok ? "well" : reply.describe());
        events.probed(accountId, ok);
        return ok;
    }
}
