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
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
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
import org.junit.jupiter.api.Test;

/** Two workers, real Kafka and Redis, the simulator failing on purpose. */
@IntegrationTest
class FaultToleranceTest {

    private static final String[] FAST = {
        "--dispatch.health.probe-interval=500ms",
        "--dispatch.resilience.backoff-initial=20ms",
        "--dispatch.resilience.backoff-max=200ms"
    };

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void serves_999_in_1000_jobs_when_30_percent_of_answers_are_500_or_malformed(Infrastructure infra)
            throws Exception {
        String ns = "flaky";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.uniform(5, 25)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(infra, ns, simulator.baseUrl(), 2, FAST);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(5))
                        .build()) {
            simulator.inject(Fault.of("*", "flaky", 0.3));
            simulator.inject(Fault.of("hunyuan-1", "malformed", 0.3));
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                jobs.add(
                        i % 5 == 4
                                ? Job.embedding("f-" + i, "text " + i)
                                : Job.chat("f-" + i, "question " + i).toBuilder()
                                        .tier(Tier.values()[i % 3])
                                        .build());
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);

            long succeeded = results.stream().filter(f -> f.join().succeeded()).count();
            assertThat(succeeded).isGreaterThanOrEqualTo(999);
            // the attempt budget: at most 3 calls on each account of the job's chain, also in the provider's log
            assertThat(results)
                    .allSatisfy(f -> assertThat(f.join().attempts().stream()
                                    .collect(Collectors.groupingBy(JobResult.Attempt::account, Collectors.counting()))
                                    .values())
                            .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3)));
            Map<String, Map<String, Long>> callsPerJobAndAccount = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null && AccountFailuresTest.isJobCall(c))
                    .collect(Collectors.groupingBy(
                            CallLog.Call::jobId, Collectors.groupingBy(CallLog.Call::account, Collectors.counting())));
            assertThat(callsPerJobAndAccount.values())
                    .allSatisfy(perAccount -> assertThat(perAccount.values())
                            .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3)));
            // every job answered, once
            assertThat(WorkerHarness.readAll(infra, topics.results()).stream()
                            .map(r -> JobCodec.readResult(r.value()).id())
                            .toList())
                    .hasSize(1000)
                    .doesNotHaveDuplicates();
            for (String account : List.of("nvidia-1", "nvidia-2", "hunyuan-1", "siliconflow-1")) {
                assertThat(simulator.stats().get(account))
                        .containsEntry("rejectedRateLimit", 0L)
                        .containsEntry("rejectedConcurrency", 0L);
            }
        }
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_429_storm_stops_the_whole_fleet_sending_to_that_account_for_its_retry_after(Infrastructure infra)
            throws Exception {
        String ns = "storm";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(50)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(infra, ns, simulator.baseUrl(), 2, FAST);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            simulator.inject(Fault.storm("hunyuan-1", 3000));
            // one job meets the storm first; both workers must have heard of the rest before the flood starts
            assertThat(client.submit(
                                    Job.chat("s-first", "question").toBuilder()
                                            .tier(Tier.TIER_2)
                                            .build(),
                                    Priority.MEDIUM)
                            .get(1, TimeUnit.MINUTES)
                            .succeeded())
                    .isTrue();
            long firstStorm = simulator.calls().all().stream()
                    .filter(c -> "hunyuan-1".equals(c.account()) && c.status() == 429)
                    .mapToLong(CallLog.Call::atMillis)
                    .min()
                    .orElseThrow();
            for (int w = 0; w < 2; w++) {
                Cooldowns cooldowns = fleet.get(w).getBean(Cooldowns.class);
                await().atMost(Duration.ofSeconds(10)).until(() -> cooldowns.isBlocked("hunyuan-1"));
            }
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                jobs.add(Job.chat("s-" + i, "question " + i).toBuilder()
                        .tier(Tier.TIER_2)
                        .build());
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);

            assertThat(results).allSatisfy(f -> assertThat(f.join().succeeded()).isTrue());
            List<CallLog.Call> hunyuan = simulator.calls().all().stream()
                    .filter(c ->
                            "hunyuan-1".equals(c.account()) && c.jobId() != null && AccountFailuresTest.isJobCall(c))
                    .toList();
            // the rest the first 429 started (Retry-After 3 s): no call of the flood reaches hunyuan-1, from either
            // worker, since both knew of it before the flood began
            assertThat(hunyuan)
                    .filteredOn(c -> !"s-first".equals(c.jobId()) && c.atMillis() < firstStorm + 2900)
                    .as("calls of the flood to hunyuan-1 during the first rest")
                    .isEmpty();
            // the storm goes on, so each rest ends in a new wave of calls that meet a 429 and start the next rest;
            // a wave is at most what both workers had granted before they heard of it (5 in flight each), where a
            // fleet that ignored the rests would send every one of the 150 jobs to hunyuan-1 first
            int waves = 0;
            long waveStart = Long.MIN_VALUE;
            for (CallLog.Call call : hunyuan) {
                if (call.atMillis() >= waveStart + 2900) {
                    waves++;
                    waveStart = call.atMillis();
                }
            }
            assertThat(hunyuan).as("calls to hunyuan-1 in %d waves", waves).hasSizeLessThanOrEqualTo(10 * waves);
            // the others absorbed the load
            assertThat(results.stream()
                            .filter(f -> f.join().account().startsWith("nvidia"))
                            .count())
                    .isGreaterThan(100);
        }
    }
}
