package dev.llmdispatch.worker;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts real worker instances (their own Spring contexts, consumers and Redis clients) against the test
 * infrastructure, on topics of the test's own namespace, with the providers pointed at a simulator.
 */
public final class WorkerHarness {

    private WorkerHarness() {}

    public static Topics topics(String ns) {
        return new Topics(
                ns + ".jobs.high", ns + ".jobs.medium", ns + ".jobs.low", "llm.results." + ns, ns + ".jobs.dlt", 3);
    }

    public static ConfigurableApplicationContext startWorker(
            Infrastructure infra, String ns, String simulatorBaseUrl, String... extra) {
        return startWorker(infra, ns, simulatorBaseUrl, 0.1, extra);
    }

    /**
     * A worker whose accounts are the default ones at {@code timeScale} ({@link DefaultAccounts#accounts}); returns once
     * the job topics it created can take records ({@link #awaitTopicsReady}).
     */
    public static ConfigurableApplicationContext startWorker(
            Infrastructure infra, String ns, String simulatorBaseUrl, double timeScale, String... extra) {
        ConfigurableApplicationContext worker = new SpringApplicationBuilder(WorkerApplication.class)
                .run(workerArgs(infra, ns, simulatorBaseUrl, timeScale, extra).toArray(String[]::new));
        awaitTopicsReady(infra, topics(ns));
        return worker;
    }

    /**
     * Waits until every partition of the job topics answers at its leader (a listOffsets, which the partition's
     * leader serves). A producer that sends to a topic created a moment ago can meet NOT_LEADER_OR_FOLLOWER on its
     * first batch while later batches are written; an idempotent producer then retries that batch without end
     * (OUT_OF_ORDER_SEQUENCE_NUMBER), seen twice in CI. Tests produce once the topics are ready, as a deployment
     * whose topics exist does.
     */
    public static void awaitTopicsReady(Infrastructure infra, Topics topics) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> {
                        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                        for (String topic : topics.jobTopics()) {
                            for (int p = 0; p < topics.partitions(); p++) {
                                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                            }
                        }
                        return admin.listOffsets(latest).all().get().size() == latest.size();
                    });
        }
    }

    /** Several workers of one namespace, closed together (the last started first). */
    public static final class Fleet implements AutoCloseable {
        private final List<ConfigurableApplicationContext> workers;

        private Fleet(List<ConfigurableApplicationContext> workers) {
            this.workers = workers;
        }

        public ConfigurableApplicationContext get(int i) {
            return workers.get(i);
        }

        @Override
        public void close() {
            for (int i = workers.size() - 1; i >= 0; i--) {
                workers.get(i).close();
            }
        }
    }

    /**
     * Starts {@code n} workers on the test's namespace and returns once their consumer group has settled
     * ({@link #awaitBalanced}), so that what the test then measures is not a rebalance.
     */
    public static Fleet startFleet(Infrastructure infra, String ns, String simulatorBaseUrl, int n, String... extra) {
        Fleet fleet = new Fleet(new ArrayList<>());
        try {
            for (int i = 0; i < n; i++) {
                fleet.workers.add(startWorker(infra, ns, simulatorBaseUrl, extra));
            }
            awaitBalanced(topics(ns), fleet.workers.toArray(ConfigurableApplicationContext[]::new));
            return fleet;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /**
     * Waits until the workers' consumer group has settled: every job partition owned by exactly one of them and
     * each of them owning some. (Workers started one after another rebalance for a few seconds; a measurement
     * begun before that measures the rebalance.)
     */
    public static void awaitBalanced(Topics topics, ConfigurableApplicationContext... workers) {
        int partitions = topics.jobTopics().size() * topics.partitions();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<Set<TopicPartition>> owned = Arrays.stream(workers)
                    .map(w -> w.getBean(PriorityConsumer.class).assignment())
                    .toList();
            long total = owned.stream().mapToInt(Set::size).sum();
            long distinct = owned.stream().flatMap(Set::stream).distinct().count();
            return owned.stream().noneMatch(Set::isEmpty) && total == partitions && distinct == partitions;
        });
    }

    /** Waits until the consumer group has {@code n} members, each of them owning some partitions. */
    public static void awaitGroup(Admin admin, String group, int n) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> {
                    var d = admin.describeConsumerGroups(List.of(group))
                            .all()
                            .get()
                            .get(group);
                    return d.members().size() == n
                            && d.members().stream()
                                    .allMatch(m ->
                                            !m.assignment().topicPartitions().isEmpty());
                });
    }

    /** The admin token every test worker takes ({@code dispatch.security.admin-token}). */
    public static final String ADMIN_TOKEN = "test-admin-token-5b2f";

    /** A tenant every test worker knows, and its API key (configured by its SHA-256). */
    public static final String TENANT = "test-tenant";

    public static final String TENANT_KEY = "sk-test-9c41e0d7";

    /** A request to a worker's admin routes, with the admin token. */
    public static HttpRequest.Builder admin(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + ADMIN_TOKEN);
    }

    /** A request to a worker's API ({@code /v1}, {@code /api}), with the test tenant's key. */
    public static HttpRequest.Builder keyed(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + TENANT_KEY);
    }

    static String sha256(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<String> workerArgs(Infrastructure infra, String ns, String simulatorBaseUrl, String... extra) {
        return workerArgs(infra, ns, simulatorBaseUrl, 0.1, extra);
    }

    public static List<String> workerArgs(
            Infrastructure infra, String ns, String simulatorBaseUrl, double timeScale, String... extra) {
        Topics t = topics(ns);
        List<String> args = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + infra.bootstrapServers(),
                "--spring.kafka.consumer.group-id=" + ns + "-workers",
                "--dispatch.redis.url=" + infra.redisUrl(),
                "--dispatch.redis.key-prefix=" + ns,
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--dispatch.topics.high=" + t.high(),
                "--dispatch.topics.medium=" + t.medium(),
                "--dispatch.topics.low=" + t.low(),
                "--dispatch.topics.results=" + t.results(),
                "--dispatch.topics.dead-letter=" + t.deadLetter(),
                "--dispatch.topics.partitions=" + t.partitions(),
                "--dispatch.providers.nvidia.timeout=10s",
                "--dispatch.providers.hunyuan.timeout=10s",
                "--dispatch.providers.siliconflow.timeout=10s",
                "--dispatch.capacity.lease-margin=2s",
                "--dispatch.security.admin-token=" + ADMIN_TOKEN,
                // the tenant's key configured by its hash, as a deployment would
                "--dispatch.tenants." + TENANT + ".keys[0]=sha256:" + sha256(TENANT_KEY)));
        // the default accounts, by default at compressed time (0.1): NVIDIA 40 per 6 s and 5 in flight each,
        // Hunyuan 5 in flight, SiliconFlow 2000 per 6 s and 20 in flight, as DefaultAccounts.accounts(0.1) serves them
        args.addAll(DefaultAccounts.workerProperties(simulatorBaseUrl, timeScale));
        args.addAll(List.of(extra));
        return args;
    }

    /**
     * A worker in a JVM of its own (this test JVM's classpath), so that a test can kill it outright.
     * Its output goes to {@code target/NAME.log}.
     */
    public static Process startWorkerProcess(String name, List<String> args) throws IOException {
        return startWorkerProcess(name, args, false);
    }

    /**
     * As {@link #startWorkerProcess(String, List)}; {@code joining}: the worker starts at a lower CPU priority
     * ({@code nice}), as one joining a running fleet would start on cores of its own: on one 2-core machine its JVM
     * start would otherwise take the CPU from the running workers and from the simulator, whose late arrival stamps
     * then measure this machine, not the fleet.
     */
    public static Process startWorkerProcess(String name, List<String> args, boolean joining) throws IOException {
        return startWorkerProcess(name, args, joining, Duration.ZERO);
    }

    /**
     * As {@link #startWorkerProcess(String, List, boolean)}, with the worker's clock {@code clockAhead} ahead of the
     * machine's, as a worker on a host whose clock is wrong: the process runs {@link SkewedClockWorker}, which gives
     * the worker that clock (production code has no setting for it).
     */
    public static Process startWorkerProcess(String name, List<String> args, boolean joining, Duration clockAhead)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (joining && Files.isExecutable(Path.of("/usr/bin/nice"))) {
            command.addAll(List.of("/usr/bin/nice", "-n", "10"));
        }
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // sized for a 2-core machine running several workers, a broker and a simulator: the C1 compiler alone
                // and one GC thread, so that a worker starting under load does not take both cores for seconds
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path")));
        if (clockAhead.isZero()) {
            command.add(WorkerApplication.class.getName());
        } else {
            command.addAll(List.of(
                    "-D" + SkewedClockWorker.CLOCK_AHEAD + "=" + clockAhead, SkewedClockWorker.class.getName()));
        }
        command.addAll(args);
        File log = Path.of("target", name + ".log").toFile();
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log)
                .start();
    }

    /** {@code n} chat jobs {@code prefix-0..} in the default mix: 40% TIER_1, 30% TIER_2, 30% TIER_3. */
    public static List<Job> tierMix(String prefix, int n) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Tier tier = i % 10 < 4 ? Tier.TIER_1 : i % 10 < 7 ? Tier.TIER_2 : Tier.TIER_3;
            jobs.add(Job.chat(prefix + "-" + i, "question " + i).toBuilder()
                    .tier(tier)
                    .build());
        }
        return jobs;
    }

    /**
     * A plain producer, as a producer in any language would be. Not idempotent, one request in flight: on a topic
     * created a moment ago the in-JVM broker may refuse the first send (NOT_LEADER_OR_FOLLOWER), and an idempotent
     * producer's retry then met OUT_OF_ORDER_SEQUENCE_NUMBER without end once (a broker-side state, seen in CI); a
     * refused send was not written, so the retry writes it once.
     */
    public static KafkaProducer<String, byte[]> rawProducer(Infrastructure infra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /** Reads a topic from the beginning until {@code until} holds for what was read, or the timeout passes. */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(Infrastructure infra, String topic) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // what a reader sees: committed transactions only
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }
}
