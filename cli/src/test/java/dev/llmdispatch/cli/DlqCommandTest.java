package dev.llmdispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code llm-dispatch dlq} against a real broker holding dead letters of every kind. */
@IntegrationTest
class DlqCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void lists_shows_replays_and_purges_dead_letters(Infrastructure infra) throws Exception {
        Topics topics = Topics.DEFAULTS;
        createTopics(infra, topics);
        Instant failedAt = Instant.now();
        List<DeadLetter> letters = List.of(
                failed("dlq-a", DeadLetterReason.ALL_PROVIDERS_FAILED, failedAt),
                failed("dlq-b", DeadLetterReason.ALL_PROVIDERS_FAILED, failedAt),
                new DeadLetter(
                        1,
                        DeadLetterReason.UNPARSABLE,
                        "not JSON",
                        null,
                        "e25vdA==",
                        Priority.LOW,
                        List.of(),
                        new DeadLetter.Source(topics.low(), 0, 7),
                        0,
                        failedAt),
                failed("dlq-c", DeadLetterReason.INVALID_JOB, failedAt));
        // as workers write them: each in a transaction, so the topic also holds a commit marker after each
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", infra.bootstrapServers(), "transactional.id", "dlq-test-" + topics.high()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            for (DeadLetter d : letters) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(
                        topics.deadLetter(),
                        0,
                        d.job() == null ? null : d.job().path("id").asString(),
                        JobCodec.toBytes(d)));
                producer.commitTransaction();
            }
        }
        String bootstrap = "--bootstrap=" + infra.bootstrapServers();

        assertThat(run("dlq", "list", bootstrap, "--reason", "ALL_PROVIDERS_FAILED"))
                .isZero();
        assertThat(out.toString()).contains("dlq-a", "dlq-b", "2 dead letters").doesNotContain("dlq-c");

        assertThat(run("dlq", "show", "dlq-a", bootstrap)).isZero();
        assertThat(JobCodec.mapper().readTree(out.toString()).path("reason").asString())
                .isEqualTo("ALL_PROVIDERS_FAILED");
        assertThat(run("dlq", "show", "nobody", bootstrap)).isEqualTo(1);

        assertThat(run("dlq", "replay", bootstrap, "--dry-run")).isZero();
        assertThat(out.toString()).contains("would replay 2 of 4");
        assertThat(err.toString()).contains("no job to replay (UNPARSABLE)").contains("dlq-c: invalid job");

        assertThat(run("dlq", "replay", bootstrap, "--job-id", "dlq-a")).isZero();
        assertThat(out.toString()).contains("replayed 1 of 1");
        ConsumerRecord<byte[], byte[]> replayed = lastRecord(infra, topics.medium(), "dlq-a");
        assertThat(JobCodec.read(replayed.value(), Job.class).id()).isEqualTo("dlq-a");
        assertThat(new String(
                        replayed.headers()
                                .lastHeader(RecordHeaders.REPLAY_COUNT)
                                .value(),
                        StandardCharsets.UTF_8))
                .isEqualTo("3");

        assertThat(run(
                        "dlq",
                        "purge",
                        bootstrap,
                        "--before",
                        Instant.now().plusSeconds(1).toString(),
                        "--dry-run"))
                .isZero();
        // records counted, not offsets (which hold a transaction marker after each)
        assertThat(out.toString()).contains("would delete 4 dead letters");
        assertThat(run(
                        "dlq",
                        "purge",
                        bootstrap,
                        "--before",
                        Instant.now().plusSeconds(1).toString()))
                .isZero();
        assertThat(out.toString()).contains("deleted 4 dead letters");
        assertThat(run("dlq", "list", bootstrap)).isZero();
        assertThat(out.toString()).contains("0 dead letters");
    }

    @Test
    void works_on_topics_a_deployment_renamed(Infrastructure infra) throws Exception {
        Topics topics =
                new Topics("ops.jobs.high", "ops.jobs.medium", "ops.jobs.low", "ops.results", "ops.jobs.dlt", 1);
        createTopics(infra, topics);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", infra.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(
                            topics.deadLetter(),
                            0,
                            "ops-a",
                            JobCodec.toBytes(failed("ops-a", DeadLetterReason.ALL_PROVIDERS_FAILED, Instant.now()))))
                    .get();
        }
        String[] where = {
            "--bootstrap=" + infra.bootstrapServers(),
            "--topic-dead-letter=ops.jobs.dlt",
            "--topic-high=ops.jobs.high",
            "--topic-medium=ops.jobs.medium",
            "--topic-low=ops.jobs.low"
        };

        assertThat(run(concat(new String[] {"dlq", "list"}, where))).isZero();
        assertThat(out.toString()).contains("ops-a", "1 dead letters");
        assertThat(run(concat(new String[] {"dlq", "replay", "--job-id", "ops-a"}, where)))
                .isZero();
        assertThat(JobCodec.read(lastRecord(infra, "ops.jobs.medium", "ops-a").value(), Job.class)
                        .id())
                .isEqualTo("ops-a");
    }

    private static String[] concat(String[] a, String[] b) {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    void says_in_one_line_when_kafka_is_unreachable() {
        assertThat(run(
                        "dlq",
                        "purge",
                        "--bootstrap=127.0.0.1:1",
                        "--kafka-timeout=PT2S",
                        "--before",
                        "2026-01-01T00:00:00Z"))
                .isEqualTo(2);
        assertThat(err.toString().strip())
                .startsWith("llm-dispatch: cannot purge llm.jobs.dlt at 127.0.0.1:1")
                .doesNotContain("\tat ");
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        int exit =
                new CommandLine(new Main()).setOut(outWriter).setErr(errWriter).execute(args);
        outWriter.flush();
        errWriter.flush();
        return exit;
    }

    private static DeadLetter failed(String id, DeadLetterReason reason, Instant at) {
        Job job = Job.chat(id, "question").toBuilder().replyTo("llm.results").build();
        return new DeadLetter(
                1,
                reason,
                "nvidia-1: 503 server_error x3",
                JobCodec.toTree(job),
                null,
                Priority.MEDIUM,
                List.of(new JobResult.Attempt("nvidia-1", 503, "server_error", 12)),
                new DeadLetter.Source("llm.jobs.medium", 0, 1),
                2,
                at);
    }

    private static void createTopics(Infrastructure infra, Topics topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
            for (String t : List.of(topics.high(), topics.medium(), topics.low(), topics.deadLetter())) {
                try {
                    admin.createTopics(List.of(new NewTopic(t, Optional.of(1), Optional.empty())))
                            .all()
                            .get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    private static ConsumerRecord<byte[], byte[]> lastRecord(Infrastructure infra, String topic, String key) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of("bootstrap.servers", infra.bootstrapServers()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            return all.stream()
                    .filter(r -> key.equals(new String(r.key(), StandardCharsets.UTF_8)))
                    .reduce((a, b) -> b)
                    .orElseThrow();
        }
    }
}
