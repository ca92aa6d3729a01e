package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Records whose outcome cannot be written as it is end in one clear outcome within seconds, the partition keeps
 * moving, and no provider is asked twice: an 800 KB unparsable record (its base64 would pass the producer's 1 MiB),
 * a job whose reply topic cannot be written to, and an embedding batch whose answer is larger than a result record
 * may be.
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT) // counts only, one light worker: beside the other tests
class PoisonRecordsTest {

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void oversized_records_and_results_end_in_one_clear_outcome_and_the_partition_moves_on(Infrastructure infra)
            throws Exception {
        Topics topics = WorkerHarness.topics("poison");
        // 1024-dimension vectors: 200 inputs make an answer of well over 1 MiB
        SimulatorConfig config =
                new SimulatorConfig(0, DefaultAccounts.accounts(0.1), null, LatencyModel.fixed(10), 0, 1024, 0);
        try (Simulator simulator = Simulator.start(config);
                ConfigurableApplicationContext worker =
                        WorkerHarness.startWorker(infra, "poison", simulator.baseUrl());
                KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra)) {
            byte[] garbage = new byte[800 * 1024];
            Arrays.fill(garbage, (byte) '#');
            producer.send(new ProducerRecord<>(topics.medium(), "lane", garbage))
                    .get();
            // a reply topic that is allowed but does not exist (and the broker creates no topics): never writable
            Job nowhere = Job.chat("reply-nowhere", "hi").toBuilder()
                    .tier(Tier.TIER_2)
                    .replyTo("llm.results.nowhere")
                    .build();
            producer.send(new ProducerRecord<>(topics.medium(), "lane", JobCodec.toBytes(nowhere)))
                    .get();
            Job after =
                    Job.chat("after-poison", "hi").toBuilder().tier(Tier.TIER_2).build();
            producer.send(new ProducerRecord<>(topics.medium(), "lane", JobCodec.toBytes(after)))
                    .get();
            List<String> inputs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                inputs.add("text " + i);
            }
            Job huge = Job.embedding("huge-batch", "x").toBuilder()
                    .request(JobCodec.mapper().createObjectNode().set("input", JobCodec.toTree(inputs)))
                    .build();
            producer.send(new ProducerRecord<>(topics.medium(), huge.id(), JobCodec.toBytes(huge)))
                    .get();

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> results(infra, topics, "after-poison").size() == 1
                            && results(infra, topics, "huge-batch").size() == 1
                            && deadLetters(infra, topics).size() == 2);

            // the job behind the poison on its partition was answered: the partition moved on
            assertThat(results(infra, topics, "after-poison"))
                    .singleElement()
                    .extracting(JobResult::status)
                    .isEqualTo(JobStatus.SUCCEEDED);
            // the poison: one dead letter, cut to what a record may hold, saying so
            DeadLetter poison = deadLetters(infra, topics).stream()
                    .filter(d -> d.reason() == DeadLetterReason.UNPARSABLE)
                    .findFirst()
                    .orElseThrow();
            assertThat(poison.reason()).isEqualTo(DeadLetterReason.UNPARSABLE);
            assertThat(poison.message()).contains("819200 bytes").contains("raw holds its first 262144");
            assertThat(Base64.getDecoder().decode(poison.raw())).hasSize(OutcomeRecords.RAW_KEEP_BYTES);
            // the job whose answer could never be delivered: a dead letter naming it and where it was, no provider call
            assertThat(deadLetters(infra, topics))
                    .filteredOn(d -> d.reason() == DeadLetterReason.UNDELIVERABLE)
                    .singleElement()
                    .satisfies(d -> {
                        assertThat(d.message()).contains("llm.results.nowhere");
                        assertThat(d.source().topic()).isEqualTo(topics.medium());
                    });
            assertThat(simulator.calls().all())
                    .filteredOn(c -> "reply-nowhere".equals(c.jobId()))
                    .isEmpty();
            // on call: the dead letter is listed by its job, and once the topic exists a replay delivers one answer
            try (DeadLetters dlq = new DeadLetters(infra.bootstrapServers(), topics);
                    Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
                DeadLetters.Filter undeliverable =
                        new DeadLetters.Filter(null, Set.of(DeadLetterReason.UNDELIVERABLE), null, null, null);
                assertThat(dlq.list(undeliverable))
                        .extracting(DeadLetters.Entry::jobId)
                        .containsExactly("reply-nowhere");
                admin.createTopics(List.of(new NewTopic("llm.results.nowhere", 1, (short) 1)))
                        .all()
                        .get();
                assertThat(dlq.replay(undeliverable, false, null).replayed()).containsExactly("reply-nowhere");
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            !WorkerHarness.readAll(infra, "llm.results.nowhere").isEmpty());
            assertThat(WorkerHarness.readAll(infra, "llm.results.nowhere"))
                    .singleElement()
                    .satisfies(r -> {
                        JobResult replayed = JobCodec.readResult(r.value());
                        assertThat(replayed.id()).isEqualTo("reply-nowhere");
                        assertThat(replayed.status()).isEqualTo(JobStatus.SUCCEEDED);
                    });
            assertThat(simulator.calls().all())
                    .filteredOn(c -> "reply-nowhere".equals(c.jobId()))
                    .hasSize(1);
            // the huge answer: one FAILED result saying why, after one provider call
            JobResult tooLarge = results(infra, topics, "huge-batch").getFirst();
            assertThat(tooLarge.status()).isEqualTo(JobStatus.FAILED);
            assertThat(tooLarge.error().code()).isEqualTo(ErrorCode.RESULT_TOO_LARGE);
            assertThat(tooLarge.error().message()).contains("max.request.size");
            assertThat(simulator.calls().all())
                    .filteredOn(c -> "huge-batch".equals(c.jobId()))
                    .hasSize(1);
        }
    }

    private static List<JobResult> results(Infrastructure infra, Topics topics, String jobId) {
        return WorkerHarness.readAll(infra, topics.results()).stream()
                .map(r -> JobCodec.readResult(r.value()))
                .filter(r -> r.id().equals(jobId))
                .toList();
    }

    private static List<DeadLetter> deadLetters(Infrastructure infra, Topics topics) {
        return WorkerHarness.readAll(infra, topics.deadLetter()).stream()
                .map(r -> JobCodec.readDeadLetter(r.value()))
                .toList();
    }
}
