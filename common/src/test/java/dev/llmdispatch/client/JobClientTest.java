package dev.llmdispatch.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The producer SDK against a real broker, with a minimal responder standing in for the workers. */
@IntegrationTest
class JobClientTest {

    private static Topics topics(String ns) {
        return new Topics(ns + ".high", ns + ".medium", ns + ".low", "llm.results." + ns, ns + ".dlt", 2);
    }

    private static void createJobTopics(Infrastructure infra, Topics topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
            admin.createTopics(topics.jobTopics().stream()
                            .map(t -> new NewTopic(t, Optional.of(2), Optional.empty()))
                            .toList())
                    .all()
                    .get();
        }
    }

    @Test
    void completes_each_future_from_the_reply_topic_by_job_id(Infrastructure infra) throws Exception {
        Topics topics = topics("client-ok");
        createJobTopics(infra, topics);
        try (JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build();
                Responder responder = new Responder(infra, topics)) {
            assertThat(client.replyTopic()).isEqualTo(topics.results());
            List<CompletableFuture<JobResult>> futures = client.submitAll(
                    List.of(Job.chat("c-1", "a"), Job.chat("c-2", "b"), Job.chat("c-3", "c")), Priority.LOW);
            responder.answer(3);

            assertThat(futures)
                    .extracting(f -> f.get(30, TimeUnit.SECONDS).id())
                    .containsExactly("c-1", "c-2", "c-3");
            assertThat(futures.get(0).get().priority()).isEqualTo(Priority.LOW);
            assertThat(responder.seen).containsEntry("c-1", topics.results());
            assertThat(client.pendingCount()).isZero();
        }
    }

    @Test
    void refuses_an_invalid_job_without_sending_it(Infrastructure infra) throws Exception {
        Topics topics = topics("client-bad");
        createJobTopics(infra, topics);
        try (JobClient client =
                JobClient.builder(infra.bootstrapServers()).topics(topics).build()) {
            CompletableFuture<JobResult> bad = client.submit(Job.chat("bad id", "x"), Priority.HIGH);
            assertThatThrownBy(bad::get)
                    .cause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("id must be 1-128 chars");
            CompletableFuture<JobResult> elsewhere = client.submit(
                    Job.chat("x-1", "x").toBuilder()
                            .replyTo("llm.results.other")
                            .build(),
                    Priority.HIGH);
            assertThatThrownBy(elsewhere::get).cause().hasMessageContaining("this client reads results from");
        }
    }

    @Test
    void times_out_and_fails_pending_futures_on_close(Infrastructure infra) throws Exception {
        Topics topics = topics("client-timeout");
        createJobTopics(infra, topics);
        JobClient client =
                JobClient.builder(infra.bootstrapServers()).topics(topics).build();
        CompletableFuture<JobResult> quick =
                client.submit(Job.chat("t-1", "x"), Priority.MEDIUM, Duration.ofMillis(300));
        assertThatThrownBy(() -> quick.get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(TimeoutException.class);
        CompletableFuture<JobResult> pending = client.submit(Job.chat("t-2", "x"), Priority.MEDIUM);
        CompletableFuture<JobResult> duplicate = client.submit(Job.chat("t-2", "x"), Priority.MEDIUM);
        assertThatThrownBy(duplicate::get).cause().hasMessageContaining("already waiting");
        client.close();
        assertThatThrownBy(pending::get).cause().hasMessageContaining("closed");
    }

    @Test
    void names_the_address_when_kafka_is_unreachable() {
        assertThatThrownBy(() -> JobClient.builder("127.0.0.1:1")
                        .kafkaProperty("default.api.timeout.ms", 2000)
                        .kafkaProperty("request.timeout.ms", 1000)
                        .build())
                .hasMessageContaining("127.0.0.1:1");
    }

    /** Reads jobs like a worker would and answers each on its replyTo. */
    private static final class Responder implements AutoCloseable {
        final Map<String, String> seen = new HashMap<>();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final KafkaProducer<String, byte[]> producer;

        Responder(Infrastructure infra, Topics topics) {
            consumer = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            infra.bootstrapServers(),
                            ConsumerConfig.GROUP_ID_CONFIG,
                            "responder-" + topics.high(),
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                            "earliest"),
                    new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            consumer.subscribe(topics.jobTopics());
            producer = new KafkaProducer<>(
                    Map.of("bootstrap.servers", infra.bootstrapServers()),
                    new StringSerializer(),
                    new ByteArraySerializer());
        }

        void answer(int count) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Job job = JobCodec.read(record.value(), Job.class);
                    seen.put(job.id(), job.replyTo());
                    assertThat(new String(
                                    record.headers()
                                            .lastHeader(RecordHeaders.CORRELATION_ID)
                                            .value(),
                                    StandardCharsets.UTF_8))
                            .isEqualTo(job.id());
                    JobResult result = new JobResult(
                            1,
                            job.id(),
                            JobStatus.SUCCEEDED,
                            Priority.LOW,
                            null,
                            "p",
                            "a",
                            "m",
                            JobCodec.toTree(Map.of("ok", true)),
                            null,
                            List.of(),
                            false,
                            null,
                            null,
                            Instant.now());
                    producer.send(new ProducerRecord<>(job.replyTo(), job.id(), JobCodec.toBytes(result)));
                }
            }
            producer.flush();
        }

        @Override
        public void close() {
            consumer.close();
            producer.close();
        }
    }
}
