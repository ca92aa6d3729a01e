package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLogStats;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Three worker instances (each with its own consumer and Redisson client) share the default accounts at
 * compressed time under saturating mixed-tier load. The simulator is the referee: no limit is ever exceeded,
 * and the fleet reaches every limit.
 */
@IntegrationTest
class FleetLimitsTest {

    private static final int CHAT_JOBS = 600;
    private static final int EMBEDDING_JOBS = 200;

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void three_workers_never_exceed_any_limit_and_reach_each_one(Infrastructure infra) throws Exception {
        Topics topics = WorkerHarness.topics("fleet");
        try (Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.logNormal(400, 0.25)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(infra, "fleet", simulator.baseUrl(), 3);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(3))
                        .build()) {
            List<Job> chat = WorkerHarness.tierMix("fleet", CHAT_JOBS);
            List<Job> embeddings = new ArrayList<>();
            for (int i = 0; i < EMBEDDING_JOBS; i++) {
                embeddings.add(Job.embedding("fleet-e" + i, "text " + i));
            }
            List<CompletableFuture<JobResult>> futures = new ArrayList<>(client.submitAll(chat, Priority.MEDIUM));
            futures.addAll(client.submitAll(embeddings, Priority.MEDIUM));
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(4, TimeUnit.MINUTES);

            assertThat(futures).allSatisfy(f -> assertThat(f.join().status()).isEqualTo(JobStatus.SUCCEEDED));
            List<String> answered = WorkerHarness.readAll(infra, topics.results()).stream()
                    .map(r -> JobCodec.readResult(r.value()).id())
                    .toList();
            assertThat(answered).hasSize(CHAT_JOBS + EMBEDDING_JOBS).doesNotHaveDuplicates();

            CallLogStats stats = new CallLogStats(simulator.calls().all());
            System.out.println("simulator stats: " + simulator.stats());
            for (String account : List.of("nvidia-1", "nvidia-2", "hunyuan-1", "siliconflow-1")) {
                assertThat(stats.refusedByLimits(account))
                        .as("429s from the limits of %s", account)
                        .isZero();
                assertThat(simulator.stats().get(account))
                        .containsEntry("rejectedRateLimit", 0L)
                        .containsEntry("rejectedConcurrency", 0L);
            }
            // the fleet uses all of each limit: each account reached it (counts; how much of the time it did is the
            // benchmark's business, see docs/benchmarks.md)
            for (String nvidia : List.of("nvidia-1", "nvidia-2")) {
                assertThat(stats.mostAdmittedInAWindow(nvidia, 6_000, 0, Long.MAX_VALUE))
                        .as("most requests of %s in one window", nvidia)
                        .isEqualTo(40);
            }
            assertThat(stats.mostInFlight("hunyuan-1", 0, Long.MAX_VALUE))
                    .as("most calls of hunyuan-1 in flight")
                    .isEqualTo(5);
        }
    }
}
