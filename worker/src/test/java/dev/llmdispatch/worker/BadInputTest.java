package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Bad records interleaved with good ones: each bad one ends in the specified result and dead letter, the
 * good ones succeed, and the consumer never stops.
 */
@IntegrationTest
class BadInputTest {

    private static String valid(String id) {
        return "{\"id\":\"" + id + "\",\"request\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void answers_or_dead_letters_every_bad_record_and_keeps_consuming(Infrastructure infra) {
        String ns = "bad";
        Topics topics = WorkerHarness.topics(ns);
        String bigMetadata =
                "{\"id\":\"big-meta\",\"request\":{\"messages\":[{\"role\":\"user\"}]},\"metadata\":{\"blob\":\""
                        + "x".repeat(5000) + "\"}}";
        List<ProducerRecord<String, byte[]>> records = List.of(
                record(topics.high(), "ok-1", valid("ok-1")),
                record(topics.high(), null, "{this is not json"),
                record(topics.medium(), "ok-2", valid("ok-2")),
                record(topics.medium(), null, "{\"request\":{\"messages\":[{\"role\":\"user\"}]}}"),
                record(topics.low(), "big-meta", bigMetadata),
                record(topics.low(), "ok-3", valid("ok-3")),
                record(
                        topics.high(),
                        "loop",
                        "{\"id\":\"loop\",\"replyTo\":\"" + topics.high()
                                + "\",\"request\":{\"messages\":[{\"role\":\"user\"}]}}"),
                record(
                        topics.medium(),
                        "streamer",
                        "{\"id\":\"streamer\",\"request\":{\"stream\":\"yes\","
                                + "\"messages\":[{\"role\":\"user\"}]}}"),
                new ProducerRecord<>(topics.low(), "tombstone", null),
                record(topics.high(), "ok-4", valid("ok-4")));
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.NONE));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(infra, ns, simulator.baseUrl());
                KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra)) {
            ProducerRecord<String, byte[]> first = records.get(0);
            first.headers().add(RecordHeaders.CORRELATION_ID, "corr-1".getBytes(StandardCharsets.UTF_8));
            records.forEach(producer::send);
            producer.flush();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(WorkerHarness.readAll(infra, topics.results())).hasSize(7);
                assertThat(WorkerHarness.readAll(infra, topics.deadLetter())).hasSize(6);
            });

            List<ConsumerRecord<byte[], byte[]>> resultRecords = WorkerHarness.readAll(infra, topics.results());
            Map<String, JobResult> results = resultRecords.stream()
                    .map(r -> JobCodec.readResult(r.value()))
                    .collect(Collectors.toMap(JobResult::id, Function.identity()));
            assertThat(results.keySet())
                    .containsExactlyInAnyOrder("ok-1", "ok-2", "ok-3", "ok-4", "big-meta", "loop", "streamer");
            for (String ok : List.of("ok-1", "ok-2", "ok-3", "ok-4")) {
                assertThat(results.get(ok).status()).isEqualTo(JobStatus.SUCCEEDED);
            }
            assertRejected(results.get("big-meta"), "metadata must be at most 4096 bytes");
            assertRejected(results.get("loop"), "replyTo must not be a job or dead-letter topic");
            assertRejected(results.get("streamer"), "request.stream must be true or false");
            ConsumerRecord<byte[], byte[]> okRecord = resultRecords.stream()
                    .filter(r -> JobCodec.readResult(r.value()).id().equals("ok-1"))
                    .findFirst()
                    .orElseThrow();
            assertThat(new String(
                            okRecord.headers()
                                    .lastHeader(RecordHeaders.CORRELATION_ID)
                                    .value(),
                            StandardCharsets.UTF_8))
                    .isEqualTo("corr-1");
            assertThat(new String(
                            okRecord.headers().lastHeader(RecordHeaders.JOB_ID).value(), StandardCharsets.UTF_8))
                    .isEqualTo("ok-1");

            List<DeadLetter> deadLetters = WorkerHarness.readAll(infra, topics.deadLetter()).stream()
                    .map(r -> JobCodec.readDeadLetter(r.value()))
                    .toList();
            Map<DeadLetterReason, Long> reasons =
                    deadLetters.stream().collect(Collectors.groupingBy(DeadLetter::reason, Collectors.counting()));
            assertThat(reasons)
                    .containsEntry(DeadLetterReason.UNPARSABLE, 2L)
                    .containsEntry(DeadLetterReason.INVALID_JOB, 4L);
            DeadLetter unparsable = deadLetters.stream()
                    .filter(d -> d.reason() == DeadLetterReason.UNPARSABLE && d.raw() != null)
                    .findFirst()
                    .orElseThrow();
            assertThat(new String(Base64.getDecoder().decode(unparsable.raw()), StandardCharsets.UTF_8))
                    .isEqualTo("{this is not json");
            assertThat(unparsable.job()).isNull();
            assertThat(unparsable.source().topic()).isEqualTo(topics.high());
            assertThat(unparsable.message()).contains("not JSON");
            DeadLetter noId = deadLetters.stream()
                    .filter(d -> d.reason() == DeadLetterReason.INVALID_JOB
                            && d.message().contains("id is required"))
                    .findFirst()
                    .orElseThrow();
            assertThat(noId.job().path("request").isObject()).isTrue();
            assertThat(deadLetters)
                    .filteredOn(d -> d.message() != null && d.message().contains("record has no value"))
                    .hasSize(1);

            // nothing was ever written to a job topic by the worker: only the records this test produced
            assertThat(WorkerHarness.readAll(infra, topics.high())).hasSize(4);
        }
    }

    private static void assertRejected(JobResult result, String messagePart) {
        assertThat(result.status()).isEqualTo(JobStatus.REJECTED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.INVALID_JOB);
        assertThat(result.error().retryable()).isFalse();
        assertThat(result.error().message()).contains(messagePart);
    }

    private static ProducerRecord<String, byte[]> record(String topic, String key, String value) {
        return new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8));
    }
}
