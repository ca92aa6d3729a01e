package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.MissionAccounts;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Fair share inside a priority: one tenant's 10,000 LOW jobs queued ahead of another tenant's 10 LOW jobs, over
 * three workers. The 10 start within a few service times (the provider's latency), not after the flood: the workers
 * read past the flood and give each tenant its turn in their buffers, and the capacity gate ranks a job behind as
 * many of its own tenant's jobs as are waiting.
 */
@IntegrationTest
class FairShareTest {

    private static final int FLOOD = 10_000;
    private static final long SERVICE_MS = 1000;

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void another_tenants_jobs_start_within_a_few_service_times_of_a_10000_job_flood(Infrastructure infra)
            throws Exception {
        String ns = "fair";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator = Simulator.start(
                        SimulatorConfig.of(MissionAccounts.accounts(0.1), LatencyModel.fixed(SERVICE_MS)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(
                        infra, ns, simulator.baseUrl(), 3, "--dispatch.consumer.shutdown-timeout=1s");
                KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            // the flood, by a plain Kafka producer: the tenant only in the job's JSON
            for (int i = 0; i < FLOOD; i++) {
                Job job = Job.chat("flood-" + i, "question " + i).toBuilder()
                        .tier(Tier.TIER_2)
                        .tenant("batch")
                        .build();
                producer.send(new ProducerRecord<>(topics.low(), job.id(), JobCodec.toBytes(job)));
            }
            producer.flush();
            // the fleet is busy with it: every account's in-flight limit in use
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> simulator.calls().all().stream()
                                    .filter(c -> c.jobId() != null && c.jobId().startsWith("flood-"))
                                    .count()
                            >= 40);

            long submitted = System.currentTimeMillis();
            List<Job> small = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                small.add(Job.chat("small-" + i, "a question").toBuilder()
                        .tier(Tier.TIER_2)
                        .tenant("apps")
                        .build());
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(small, Priority.LOW);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            assertThat(results).allSatisfy(r -> assertThat(r.join().succeeded()).isTrue());

            Map<String, Long> started = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null && c.jobId().startsWith("small-"))
                    .collect(Collectors.toMap(CallLog.Call::jobId, CallLog.Call::atMillis, Math::min));
            assertThat(started).hasSize(10);
            long floodDone = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null && c.jobId().startsWith("flood-"))
                    .count();
            assertThat(floodDone)
                    .as("flood calls so far: most of it still queued")
                    .isLessThan(FLOOD / 4);
            assertThat(started.values())
                    .as("ms from submission to the provider, per job of the other tenant")
                    .allSatisfy(at -> assertThat(at - submitted).isLessThanOrEqualTo(4 * SERVICE_MS));
        }
    }
}
