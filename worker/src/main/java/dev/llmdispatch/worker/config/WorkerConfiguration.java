package dev.llmdispatch.worker.config;

import dev.llmdispatch.client.FleetStateReader;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchCore;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.dispatch.HealthEvents;
import dev.llmdispatch.dispatch.JobClaims;
import dev.llmdispatch.dispatch.ProviderHealth;
import dev.llmdispatch.dispatch.TenantBudgetCheck;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.spi.ResponseCache;
import dev.llmdispatch.dispatch.spi.StreamChannel;
import dev.llmdispatch.store.redis.RedisConnections;
import dev.llmdispatch.store.redis.RedisResponseCache;
import dev.llmdispatch.store.redis.RedisRoundTrips;
import dev.llmdispatch.store.redis.RedisStores;
import dev.llmdispatch.store.redis.RedisTraffic;
import dev.llmdispatch.worker.consume.Handover;
import dev.llmdispatch.worker.consume.JobHandle;
import dev.llmdispatch.worker.consume.JobProcessor;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.observe.ProviderCallRecorder;
import dev.llmdispatch.worker.observe.alert.Alerter;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import dev.llmdispatch.worker.publish.ReplyTopics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

/** Wires the dispatch core, Kafka and Redis into the worker. */
@Configuration(proxyBeanMethods = false)
public class WorkerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(WorkerConfiguration.class);

    @Bean
    DispatchSettings dispatchSettings(DispatchProperties properties) {
        DispatchSettings settings = properties.toSettings();
        log.info("llm-dispatch configuration: {}", settings.describe());
        if (properties.deprecatedKeyPrefix()) {
            log.warn(
                    "dispatch.capacity.key-prefix is deprecated: set dispatch.redis.key-prefix={} instead (the same keys)",
                    properties.keyPrefix());
        }
        settings.disabledAccounts()
                .forEach(id -> log.warn("account {} has no API key: it is disabled and takes no work", id));
        return settings;
    }

    @Bean
    Topics topics(DispatchSettings settings) {
        return settings.topics();
    }

    @Bean
    KafkaAdmin.NewTopics jobTopics(Topics topics) {
        return new KafkaAdmin.NewTopics(
                newTopic(topics.high(), topics),
                newTopic(topics.medium(), topics),
                newTopic(topics.low(), topics),
                newTopic(topics.results(), topics),
                newTopic(topics.deadLetter(), topics),
                FleetStateReader.statusTopic(topics.status()));
    }

    private static NewTopic newTopic(String name, Topics topics) {
        return new NewTopic(name, Optional.of(topics.partitions()), Optional.empty());
    }

    /** Every metric of the worker, made once. */
    @Bean
    Metrics metrics(MeterRegistry meters) {
        return new Metrics(meters);
    }

    @Bean
    JobValidator jobValidator(DispatchSettings settings) {
        return new JobValidator(
                settings.topics(), settings.allowedReplyTopics(), JobValidator.DEFAULT_MAX_METADATA_BYTES);
    }

    /** The dispatcher's stores in the limits' Redis. */
    @Bean
    RedisStores redisStores(RedissonClient redisson, DispatchProperties properties, Clock clock) {
        return new RedisStores(redisson, properties.keyPrefix(), clock);
    }

    /** The dispatch core: the fleet's capacity, the accounts' health, emergency mode, the probes. */
    @Bean(destroyMethod = "close")
    DispatchCore dispatchCore(
            DispatchSettings settings,
            DispatchProperties properties,
            RedisStores stores,
            Clock clock,
            HealthEvents events) {
        return DispatchCore.builder(settings, stores)
                .capacity(properties.capacity())
                .tenantWeights(properties::tenantWeight)
                .resilience(properties.resilience())
                .probeInterval(properties.health().probeInterval())
                .clock(clock)
                .healthEvents(events)
                .build();
    }

    /** Closed with the core (no destroy method of its own). */
    @Bean(destroyMethod = "")
    Capacity capacity(DispatchCore core) {
        return core.capacity();
    }

    /** Closed with the core (no destroy method of its own). */
    @Bean(destroyMethod = "")
    AccountBlocks accountBlocks(DispatchCore core) {
        return core.blocks();
    }

    @Bean
    Emergency emergency(DispatchCore core) {
        return core.emergency();
    }

    @Bean
    ProviderHealth providerHealth(DispatchCore core) {
        return core.health();
    }

    /** Jobs go through the response cache, then to the providers. */
    @Bean
    Dispatch dispatch(
            DispatchCore core,
            DispatchProperties properties,
            ResponseCache cache,
            Metrics metrics,
            Alerter alerter,
            FleetTraffic traffic,
            StreamChannel streams) {
        return core.dispatcher(properties.routingRules(), properties.chainSpread())
                .listener(new ProviderCallRecorder(
                        metrics, properties.requestLog().includePrompt(), alerter, traffic))
                .streams(streams.relay())
                .cache(cache, properties.cache(), metrics.cacheEvents())
                .build();
    }

    @Bean
    StreamChannel streamChannel(RedisStores stores) {
        return stores.streams();
    }

    @Bean(destroyMethod = "shutdown")
    RedissonClient redissonClient(DispatchSettings settings, Metrics metrics) {
        return RedisConnections.create(
                settings.redisUrl(), new RedisRoundTrips((c, command) -> metrics.redisRoundTrip("limits", c, command)));
    }

    /**
     * Makes the transactional producer that writes outcomes with their offsets. Each worker has its own
     * {@code transactional.id} (prefix {@code dispatch.consumer.transactional-id-prefix} and a random part): fencing
     * of a worker that lost its partitions comes from the consumer group's generation, sent with the offsets.
     */
    @Bean
    Supplier<Producer<String, byte[]>> outcomeProducers(KafkaProperties kafka, DispatchProperties properties) {
        String prefix = properties.consumer().transactionalIdPrefix();
        Map<String, Object> props = new HashMap<>(kafka.buildProducerProperties());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 2);
        // a worker killed inside a transaction holds back read_committed readers of what it wrote until this passes
        props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        // a commit blocks the consumer thread at most this long while the broker is away; it is tried again after
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        return () -> {
            Map<String, Object> p = new HashMap<>(props);
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + UUID.randomUUID());
            return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        };
    }

    @Bean
    OutcomeRecords outcomeRecords(Topics topics, KafkaProperties kafka) {
        Object max = kafka.buildProducerProperties().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        return new OutcomeRecords(topics, max == null ? 1024 * 1024 : Integer.parseInt(max.toString()));
    }

    @Bean(destroyMethod = "close")
    ReplyTopics replyTopics(KafkaAdmin admin) {
        return new ReplyTopics(Admin.create(admin.getConfigurationProperties()), Duration.ofSeconds(5));
    }

    @Bean
    JobClaims jobClaims(RedisStores stores) {
        return new JobClaims(stores.jobs(), JobClaims.DEFAULT_LEASE);
    }

    /** The leases of the jobs this worker handles are renewed while it lives. */
    @Bean
    PeriodicTask claimRenewal(JobClaims claims) {
        return new PeriodicTask("claim-renewal", claims.renewInterval(), claims.renewInterval(), claims::renewAll);
    }

    /**
     * The worker's clock (deadlines, cooldown ends, alert windows): the machine's. No limit depends on it (windows and
     * leases are timed by Redis); FleetFaultsTest runs a worker whose clock is seconds ahead.
     */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * The response cache: in its own Redis when {@code dispatch.cache.redis-url} is set (a Redis whose
     * {@code maxmemory} and {@code allkeys-lru} bound it without touching the limits), else in the limits' Redis.
     */
    @Bean(destroyMethod = "close")
    ResponseCache responseCache(RedissonClient redisson, DispatchProperties properties, Metrics metrics) {
        String url = properties.cache().redisUrl();
        String prefix = properties.keyPrefix();
        return url == null
                ? new RedisResponseCache(redisson, prefix)
                : RedisResponseCache.ownRedis(
                        RedisConnections.create(
                                url, new RedisRoundTrips((c, command) -> metrics.redisRoundTrip("cache", c, command))),
                        prefix);
    }

    @Bean
    JobProcessor jobProcessor(
            DispatchSettings settings,
            JobValidator validator,
            Dispatch dispatcher,
            OutcomeRecords records,
            JobClaims claims,
            ReplyTopics replyTopics,
            Clock clock,
            Metrics metrics,
            FleetTraffic traffic,
            TenantBudgetCheck budgets) {
        return new JobProcessor(
                settings, validator, dispatcher, records, claims, replyTopics, clock, metrics, traffic, budgets);
    }

    @Bean
    FleetTraffic fleetTraffic(RedissonClient redisson, DispatchProperties properties, Clock clock) {
        return new FleetTraffic(new RedisTraffic(redisson, properties.keyPrefix()), clock);
    }

    /** This worker's share of the fleet's traffic figures goes to Redis about once a second. */
    @Bean
    PeriodicTask trafficFlush(FleetTraffic traffic) {
        return new PeriodicTask("traffic-flush", Duration.ofSeconds(1), Duration.ofSeconds(1), traffic::flush);
    }

    @Bean
    PriorityConsumer priorityConsumer(
            KafkaProperties kafka,
            DispatchProperties properties,
            Topics topics,
            JobProcessor processor,
            Capacity capacity,
            Emergency emergency,
            DispatchSettings settings,
            Supplier<Producer<String, byte[]>> outcomeProducers) {
        return new PriorityConsumer(
                kafka.buildConsumerProperties(),
                topics,
                properties.consumer(),
                processor,
                emergency::active,
                new Handover.Waits() {
                    @Override
                    public boolean waiting(JobHandle job) {
                        return capacity.isWaiting(job.thread());
                    }

                    @Override
                    public void cancel(JobHandle job) {
                        capacity.cancelWaits(List.of(job.thread()));
                    }
                },
                settings.longestTimeout(),
                outcomeProducers,
                properties::tenantWeight);
    }
}
