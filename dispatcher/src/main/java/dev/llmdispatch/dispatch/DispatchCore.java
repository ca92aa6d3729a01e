package dev.llmdispatch.dispatch;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.CacheSettings;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.ChainSpread;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.config.RoutingRules;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import dev.llmdispatch.dispatch.internal.cache.CachingDispatch;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.provider.ProviderClient;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.resilience.EmergencyMonitor;
import dev.llmdispatch.dispatch.internal.resilience.HealthProber;
import dev.llmdispatch.dispatch.internal.routing.ProviderLoad;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.dispatch.spi.ResponseCache;
import dev.llmdispatch.dispatch.spi.Stores;
import dev.llmdispatch.dispatch.spi.StreamSink;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToIntFunction;

/**
 * The dispatch core of one worker, built from the deployment's settings and its stores: the fleet-wide capacity gate,
 * the accounts' blocks and circuits, emergency mode, the health probes, and the dispatcher that runs a job on them.
 * Everything outside the core reaches it through what this class hands out ({@link Capacity}, {@link AccountBlocks},
 * {@link Emergency}, {@link ProviderHealth}, {@link Dispatch}); the parts themselves live in {@code internal}.
 *
 * <pre>{@code
 * DispatchCore core = DispatchCore.builder(settings, new RedisStores(redisson, prefix)).build();
 * Dispatch dispatch = core.dispatcher(RoutingRules.DEFAULTS, ChainSpread.NONE).build();
 * DispatchOutcome outcome = dispatch.dispatch(job, Priority.MEDIUM, List.of());
 * }</pre>
 */
public final class DispatchCore implements AutoCloseable {

    private final DispatchSettings settings;
    private final Stores stores;
    private final Clock clock;
    private final ResilienceSettings resilience;
    private final ProviderClient client;
    private final Cooldowns cooldowns;
    private final AccountHealth accounts;
    private final EmergencyMonitor emergency;
    private final CapacityGate gate;
    private final HealthProber prober;
    private final ProviderHealth health;

    private DispatchCore(Builder b) {
        this.settings = b.settings;
        this.stores = b.stores;
        this.clock = b.clock;
        this.resilience = b.resilience;
        this.client = new ProviderClient();
        this.cooldowns = new Cooldowns(stores.blocks(), clock);
        this.accounts = new AccountHealth(resilience, cooldowns, b.events);
        this.emergency = new EmergencyMonitor(settings, cooldowns, stores.emergencyFlag(), b.events);
        this.gate = new CapacityGate(stores.capacity(), settings, b.capacity, clock, cooldowns);
        gate.tenantWeights(b.tenantWeights);
        gate.start();
        this.prober = new HealthProber(
                settings, client, accounts, stores.probeTurns(), b.probeInterval, b.events, gate, resilience);
        this.health = new ProviderHealth() {
            @Override
            public Map<String, CircuitBreaker.State> circuitStates() {
                return accounts.circuitStates();
            }

            @Override
            public Map<String, String> checkProviders(Duration within) {
                return prober.checkProviders(within);
            }

            @Override
            public int probeOnce() {
                return prober.probeOnce();
            }
        };
    }

    /** A core for these settings on these stores; the rest has defaults. */
    public static Builder builder(DispatchSettings settings, Stores stores) {
        return new Builder(settings, stores);
    }

    public Capacity capacity() {
        return gate;
    }

    public AccountBlocks blocks() {
        return cooldowns;
    }

    public Emergency emergency() {
        return emergency;
    }

    public ProviderHealth health() {
        return health;
    }

    /** A dispatcher on this core, planning routes with these rules. */
    public DispatcherBuilder dispatcher(RoutingRules rules, ChainSpread spread) {
        return new DispatcherBuilder(rules, spread);
    }

    @Override
    public void close() {
        gate.close();
        cooldowns.close();
        client.close();
    }

    /**
     * A provider's share of its accounts' in-flight limits in use across the fleet (one store read per account), for
     * least-busy chains; a provider without an in-flight limit counts as idle.
     */
    private ProviderLoad providerLoad() {
        return provider -> {
            ProviderSettings p = settings.providers().get(provider);
            if (p == null) {
                return 1; // an account named in a chain, not a pool: after the pools
            }
            long inFlight = 0;
            long limit = 0;
            for (AccountSettings a : p.accounts()) {
                if (a.enabled() && a.limits().concurrency() != null) {
                    AccountUsage usage = gate.usage(a.id());
                    inFlight += usage.inFlight();
                    // the limit in force: the fleet's adaptive one when overload has cut it
                    limit += usage.adaptiveLimit() != null
                            ? usage.adaptiveLimit()
                            : a.limits().concurrency();
                }
            }
            return limit == 0 ? 0 : inFlight / (double) limit;
        };
    }

    /** How the core is made. */
    public static final class Builder {
        private final DispatchSettings settings;
        private final Stores stores;
        private CapacitySettings capacity = CapacitySettings.DEFAULTS;
        private ResilienceSettings resilience = ResilienceSettings.DEFAULTS;
        private Duration probeInterval = Duration.ofSeconds(5);
        private Clock clock = Clock.systemUTC();
        private HealthEvents events = HealthEvents.NONE;
        private ToIntFunction<String> tenantWeights = tenant -> 1;

        private Builder(DispatchSettings settings, Stores stores) {
            this.settings = Objects.requireNonNull(settings, "settings");
            this.stores = Objects.requireNonNull(stores, "stores");
        }

        public Builder capacity(CapacitySettings capacity) {
            this.capacity = Objects.requireNonNull(capacity, "capacity");
            return this;
        }

        /** Each tenant's weight in the fair share of capacity (1 by default). */
        public Builder tenantWeights(ToIntFunction<String> tenantWeights) {
            this.tenantWeights = Objects.requireNonNull(tenantWeights, "tenantWeights");
            return this;
        }

        public Builder resilience(ResilienceSettings resilience) {
            this.resilience = Objects.requireNonNull(resilience, "resilience");
            return this;
        }

        /** How often a blocked account is probed (5 s by default). */
        public Builder probeInterval(Duration probeInterval) {
            this.probeInterval = Objects.requireNonNull(probeInterval, "probeInterval");
            return this;
        }

        /** The worker's clock: deadlines, the ends of blocks. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Hears what happens to the accounts' health and to emergency mode. */
        public Builder healthEvents(HealthEvents events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        public DispatchCore build() {
            return new DispatchCore(this);
        }
    }

    /** How a dispatcher on the core is made. */
    public final class DispatcherBuilder {
        private final RoutingRules rules;
        private final ChainSpread spread;
        private AttemptListener listener = AttemptListener.NONE;
        private StreamSink.Relay streams = StreamSink.Relay.NONE;
        private ResponseCache cache;
        private CacheSettings cacheSettings;
        private CacheEvents cacheEvents = CacheEvents.NONE;

        private DispatcherBuilder(RoutingRules rules, ChainSpread spread) {
            this.rules = Objects.requireNonNull(rules, "rules");
            this.spread = Objects.requireNonNull(spread, "spread");
        }

        /** Hears each job's attempts (metrics, request log, alerts). */
        public DispatcherBuilder listener(AttemptListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Where a streamed answer's chunks go as they come. */
        public DispatcherBuilder streams(StreamSink.Relay streams) {
            this.streams = Objects.requireNonNull(streams, "streams");
            return this;
        }

        /** Answers repeated deterministic jobs and seen embedding inputs from {@code cache} (none by default). */
        public DispatcherBuilder cache(ResponseCache cache, CacheSettings settings, CacheEvents events) {
            this.cache = Objects.requireNonNull(cache, "cache");
            this.cacheSettings = Objects.requireNonNull(settings, "settings");
            this.cacheEvents = Objects.requireNonNull(events, "events");
            return this;
        }

        public Dispatch build() {
            JobDispatcher dispatcher = JobDispatcher.builder(
                            new RoutePlanner(settings, rules, clock, spread, providerLoad()),
                            client,
                            gate,
                            accounts,
                            resilience)
                    .emergency(emergency::active)
                    .clock(clock)
                    .listener(listener)
                    .attemptLog(stores.attempts())
                    .streams(streams)
                    .build();
            return cache == null ? dispatcher : new CachingDispatch(dispatcher, cache, cacheSettings, cacheEvents);
        }
    }
}
