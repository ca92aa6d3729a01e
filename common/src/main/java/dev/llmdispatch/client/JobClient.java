package dev.llmdispatch.client;

import dev.llmdispatch.api.FleetState;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer SDK: puts jobs on the priority topics and completes a future with each job's result,
 * read from the reply topic and matched by job id. Plain kafka-clients, no Spring; thread-safe.
 *
 * <p>The client reads its reply topic from the end as of its start, without a consumer group, so any
 * number of clients can share one reply topic (each ignores the ids it did not submit), or a client can
 * use a reply topic of its own ({@link Builder#replyTopic}). Results are delivered at least once by the
 * workers; the future takes the first.
 *
 * <pre>{@code
 * try (JobClient client = JobClient.builder("localhost:9092").build()) {
 *     JobResult result = client.submit(Job.chat("job-1", "Hello"), Priority.HIGH).get();
 * }
 * }</pre>
 */
public final class JobClient implements AutoCloseable {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    private static final Logger log = LoggerFactory.getLogger(JobClient.class);
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(30);
    /** How long a reply topic created a moment ago may take to show in the broker's metadata. */
    private static final Duration TOPIC_APPEAR_WAIT = Duration.ofSeconds(5);

    private final Topics topics;
    private final String replyTopic;
    private final Duration defaultTimeout;
    private final JobValidator validator;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, CompletableFuture<JobResult>> pending = new ConcurrentHashMap<>();
    private final Thread replyReader;
    /** The fleet's state, followed when the client fails fast in emergency; null otherwise. */
    private final FleetStateReader fleetState;

    private volatile boolean running = true;

    private JobClient(Builder b) {
        this.topics = b.topics;
        this.replyTopic = b.replyTopic == null ? topics.results() : b.replyTopic;
        this.defaultTimeout = b.defaultTimeout;
        this.validator = new JobValidator(topics, List.of(replyTopic), JobValidator.DEFAULT_MAX_METADATA_BYTES);
        String problem = validator.replyTopicProblem(replyTopic);
        if (problem != null) {
            throw new IllegalArgumentException("reply topic '" + replyTopic + "' " + problem);
        }
        if (b.createReplyTopic) {
            createTopicIfMissing(b);
        }
        Map<String, Object> producerProps = new HashMap<>(b.kafka);
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        producerProps.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // latency first: a job is sent at once (Kafka's default, 5 ms, was half of a job's way to a worker in
        // bin/benchmark); what queues while a request is in flight still goes in one batch (submitAll)
        producerProps.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerProps.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "llm-dispatch-client-" + shortId());
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());

        Map<String, Object> consumerProps = new HashMap<>(b.kafka);
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.remove(ConsumerConfig.GROUP_ID_CONFIG);
        // results are written in transactions: only committed ones are answers (an aborted one is written again)
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = replyPartitions();
            if (partitions.isEmpty()) {
                throw new IllegalStateException(
                        "reply topic '" + replyTopic + "' does not exist at " + b.bootstrapServers);
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            // resolve the positions now: a result that arrives after submit() must not be skipped
            partitions.forEach(p -> consumer.position(p, SETUP_TIMEOUT));
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            producer.close(Duration.ZERO);
            throw e;
        }
        this.replyReader = Thread.ofPlatform()
                .name("job-client-replies-" + replyTopic)
                .daemon()
                .start(this::readReplies);
        this.fleetState =
                b.failFastInEmergency ? new FleetStateReader(b.bootstrapServers, topics.status(), b.kafka) : null;
    }

    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    /** The topic this client reads results from; jobs it submits without a replyTo get this one. */
    public String replyTopic() {
        return replyTopic;
    }

    /** The fleet's state as the workers last published it, when the client fails fast in emergency; else empty. */
    public Optional<FleetState> fleetState() {
        return fleetState == null ? Optional.empty() : Optional.of(fleetState.state());
    }

    /** Jobs submitted and not answered yet. */
    public int pendingCount() {
        return pending.size();
    }

    /** Submits a job with the default timeout. */
    public CompletableFuture<JobResult> submit(Job job, Priority priority) {
        return submit(job, priority, defaultTimeout);
    }

    /**
     * Puts a job on its priority's topic. The future completes with the job's result, or exceptionally:
     * {@link IllegalArgumentException} for a job that breaks the contract (nothing sent), {@link EmergencyException}
     * when the fleet is in emergency mode and the client was built to fail fast then (nothing sent),
     * {@link TimeoutException} when no result came in time, or the Kafka error when the send failed.
     */
    public CompletableFuture<JobResult> submit(Job job, Priority priority, Duration timeout) {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(priority, "priority");
        if (!running) {
            return CompletableFuture.failedFuture(new IllegalStateException("JobClient is closed"));
        }
        Job toSend;
        try {
            toSend = addressed(job);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        FleetState fleet = fleetState == null ? null : fleetState.state();
        if (fleet != null && fleet.emergency()) {
            return CompletableFuture.failedFuture(new EmergencyException(
                    toSend.id(),
                    fleet.reason(),
                    fleet.since(),
                    Duration.ofSeconds(Math.max(1, fleet.retryAfterSeconds()))));
        }
        CompletableFuture<JobResult> result = new CompletableFuture<>();
        if (pending.putIfAbsent(toSend.id(), result) != null) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("job " + toSend.id() + " is already waiting for its result"));
        }
        result.whenComplete((r, e) -> pending.remove(toSend.id(), result));
        result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topics.jobTopic(priority), toSend.id(), JobCodec.toBytes(toSend));
        record.headers().add(RecordHeaders.CORRELATION_ID, toSend.id().getBytes(StandardCharsets.UTF_8));
        if (toSend.tenant() != null) {
            record.headers().add(RecordHeaders.TENANT, toSend.tenant().getBytes(StandardCharsets.UTF_8));
        }
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            }
        });
        return result;
    }

    /** Submits many jobs at once (sends are batched); one future per job, in the same order. */
    public List<CompletableFuture<JobResult>> submitAll(Collection<Job> jobs, Priority priority) {
        List<CompletableFuture<JobResult>> futures = new ArrayList<>(jobs.size());
        for (Job job : jobs) {
            futures.add(submit(job, priority));
        }
        producer.flush();
        return futures;
    }

    /** Waits until every record sent so far is acknowledged by the broker. */
    public void flush() {
        producer.flush();
    }

    private Job addressed(Job job) {
        Job toSend = job.replyTo() == null ? job.toBuilder().replyTo(replyTopic).build() : job;
        if (!toSend.replyTo().equals(replyTopic)) {
            throw new IllegalArgumentException("job " + job.id() + " has replyTo '" + job.replyTo()
                    + "' but this client reads results from '" + replyTopic + "'");
        }
        if (validator.check(toSend) instanceof JobValidator.Invalid invalid) {
            throw new IllegalArgumentException(invalid.message());
        }
        return toSend;
    }

    private void readReplies() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    deliver(record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("reply reader of topic {} stopped", replyTopic, e);
            failAll(new IllegalStateException("reply reader stopped: " + e.getMessage(), e));
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void deliver(ConsumerRecord<byte[], byte[]> record) {
        JobResult result;
        try {
            result = JobCodec.readResult(record.value());
        } catch (RuntimeException e) {
            log.warn(
                    "skipping unreadable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return;
        }
        CompletableFuture<JobResult> future = result.id() == null ? null : pending.get(result.id());
        if (future != null) {
            future.complete(result);
        }
    }

    private void failAll(Exception cause) {
        pending.values().forEach(f -> f.completeExceptionally(cause));
    }

    private void createTopicIfMissing(Builder b) {
        Properties props = new Properties();
        props.putAll(b.kafka);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(replyTopic, Optional.of(topics.partitions()), Optional.empty())))
                    .all()
                    .get(SETUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException(
                        "cannot create reply topic '" + replyTopic + "' at " + b.bootstrapServers + ": "
                                + e.getCause().getMessage(),
                        e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka at " + b.bootstrapServers + " did not answer within " + SETUP_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating reply topic", e);
        }
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** Stops reading results; futures still pending complete exceptionally. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        if (fleetState != null) {
            fleetState.close();
        }
        producer.close(Duration.ofSeconds(10));
        consumer.wakeup();
        try {
            replyReader.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll(new IllegalStateException("JobClient closed before the result arrived"));
    }

    public static final class Builder {
        private final String bootstrapServers;
        private Topics topics = Topics.DEFAULTS;
        private String replyTopic;
        private Duration defaultTimeout = DEFAULT_TIMEOUT;
        private boolean createReplyTopic = true;
        private boolean failFastInEmergency;
        private final Map<String, Object> kafka = new HashMap<>();

        private Builder(String bootstrapServers) {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrap servers must be given, e.g. localhost:9092");
            }
            this.bootstrapServers = bootstrapServers;
        }

        /** Topic names of the deployment (defaults: the contract's). */
        public Builder topics(Topics topics) {
            this.topics = Objects.requireNonNull(topics);
            return this;
        }

        /** A reply topic of this client's own (must match the workers' allowed reply topics). */
        public Builder replyTopic(String replyTopic) {
            this.replyTopic = replyTopic;
            return this;
        }

        /** How long a submitted job's future waits for its result (default 10 minutes). */
        public Builder defaultTimeout(Duration timeout) {
            this.defaultTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Whether to create the reply topic when it is missing (default true). */
        public Builder createReplyTopic(boolean create) {
            this.createReplyTopic = create;
            return this;
        }

        /**
         * Whether a job submitted while the fleet is in emergency mode (every provider down) fails at once with
         * {@link EmergencyException} instead of being sent to wait in Kafka (default false: it waits, and runs when a
         * provider is back). The client then follows the fleet's status topic.
         */
        public Builder failFastInEmergency(boolean failFast) {
            this.failFastInEmergency = failFast;
            return this;
        }

        /** Any other Kafka client property (security, timeouts), applied to the producer and consumer. */
        public Builder kafkaProperty(String key, Object value) {
            kafka.put(key, value);
            return this;
        }

        public JobClient build() {
            return new JobClient(this);
        }
    }

    /**
     * The reply topic's partitions; waits up to {@link #TOPIC_APPEAR_WAIT} for a topic created a moment ago to
     * show in the broker's metadata. Empty when it does not exist.
     */
    private List<TopicPartition> replyPartitions() {
        long until = Ticker.SYSTEM.deadline(TOPIC_APPEAR_WAIT);
        while (true) {
            List<TopicPartition> partitions = consumer.partitionsFor(replyTopic, SETUP_TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            if (!partitions.isEmpty() || Ticker.SYSTEM.passed(until)) {
                return partitions;
            }
            try {
                Sleeper.SYSTEM.sleepMillis(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return partitions;
            }
        }
    }
}
