package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A job delivered again (a crash before its offset was committed, a rebalance, a producer's retry) gets the outcome
 * it already had, published again and marked cached, and is not sent to a provider again; whatever its deadline says
 * by then. A replay from the dead-letter topic runs a job that did not succeed once more.
 */
@IntegrationTest
class RedeliveryTest {

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_redelivered_job_gets_its_stored_outcome_whatever_its_deadline_says_and_a_replay_runs_it_again(
            Infrastructure infra) throws Exception {
        Topics topics = WorkerHarness.topics("redeliver");
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(20)));
                ConfigurableApplicationContext worker =
                        WorkerHarness.startWorker(infra, "redeliver", simulator.baseUrl());
                KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra)) {
            WorkerHarness.awaitBalanced(
                    topics, worker); // a worker that has its partitions: the deadline is for the job
            Job answered = Job.chat("again-ok", "hi").toBuilder()
                    .tier(Tier.TIER_2)
                    .deadline(Instant.now().plusSeconds(8))
                    .build();
            Job expired = Job.chat("again-late", "hi").toBuilder()
                    .tier(Tier.TIER_2)
                    .deadline(Instant.now().minusSeconds(1))
                    .build();
            producer.send(new ProducerRecord<>(topics.high(), answered.id(), JobCodec.toBytes(answered)))
                    .get();
            producer.send(new ProducerRecord<>(topics.high(), expired.id(), JobCodec.toBytes(expired)))
                    .get();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> results(infra, topics, "again-ok").size() == 1
                            && results(infra, topics, "again-late").size() == 1);

            // the same records again once the first job's deadline has passed too, then a replay of the late one
            await().atMost(Duration.ofSeconds(20)).until(() -> Instant.now().isAfter(answered.deadline()));
            producer.send(new ProducerRecord<>(topics.high(), answered.id(), JobCodec.toBytes(answered)))
                    .get();
            producer.send(new ProducerRecord<>(topics.high(), expired.id(), JobCodec.toBytes(expired)))
                    .get();
            ProducerRecord<String, byte[]> replay =
                    new ProducerRecord<>(topics.high(), expired.id(), JobCodec.toBytes(expired));
            replay.headers().add(RecordHeaders.REPLAY_COUNT, "1".getBytes(StandardCharsets.UTF_8));
            producer.send(replay).get();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> results(infra, topics, "again-ok").size() == 2
                            && results(infra, topics, "again-late").size() == 3);

            // records counted, in the order of their partition (one key, one partition)
            List<JobResult> ok = results(infra, topics, "again-ok");
            assertThat(ok).extracting(JobResult::status).containsExactly(JobStatus.SUCCEEDED, JobStatus.SUCCEEDED);
            assertThat(ok).extracting(JobResult::cached).containsExactly(false, true);
            assertThat(ok.get(1).response()).isEqualTo(ok.get(0).response());
            List<JobResult> late = results(infra, topics, "again-late");
            assertThat(late)
                    .extracting(JobResult::status)
                    .containsExactly(JobStatus.EXPIRED, JobStatus.EXPIRED, JobStatus.EXPIRED);
            // stored and given again to the redelivery; worked out anew for the replay
            assertThat(late).extracting(JobResult::cached).containsExactly(false, true, false);
            assertThat(simulator.calls().all())
                    .filteredOn(c -> "again-ok".equals(c.jobId()))
                    .hasSize(1);
            assertThat(simulator.calls().all())
                    .filteredOn(c -> "again-late".equals(c.jobId()))
                    .isEmpty();
        }
    }

    private static List<JobResult> results(Infrastructure infra, Topics topics, String jobId) {
        return WorkerHarness.readAll(infra, topics.results()).stream()
                .map(r -> JobCodec.readResult(r.value()))
                .filter(r -> r.id().equals(jobId))
                .toList();
    }
}
