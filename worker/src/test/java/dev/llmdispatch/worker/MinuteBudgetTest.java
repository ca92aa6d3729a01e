package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * A tenant's minute budget, fleet-wide, with jobs put on Kafka: a tenant with 8 requests a minute gets 8 of its 12 jobs
 * to a provider in the minute and the other 4 in the next (held meanwhile, none lost), while another tenant's jobs are
 * served at once. Two worker processes. It waits for a minute to turn and asserts counts, not times: it runs beside the
 * other tests (see {@code junit-platform.properties}).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class MinuteBudgetTest {

    private static final int PER_MINUTE = 8;
    private static final int METERED = 12;

    @Test
    void a_tenant_over_its_minute_is_held_until_the_next_one_and_others_are_served_meanwhile(Infrastructure infra)
            throws Exception {
        String ns = "minute";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(200)));
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(3))
                        .build();
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers()))) {
            List<String> args = WorkerHarness.workerArgs(
                    infra, ns, simulator.baseUrl(), "--dispatch.tenants.metered.requests-per-minute=" + PER_MINUTE);
            List<Process> workers = List.of(
                    WorkerHarness.startWorkerProcess("minute-worker-0", args),
                    WorkerHarness.startWorkerProcess("minute-worker-1", args));
            try {
                WorkerHarness.awaitGroup(admin, ns + "-workers", 2); // both in, so no rebalance moves a minute's jobs
                // the minute must have room for the first 8 (they start within a second or two)
                await().atMost(Duration.ofSeconds(30)).until(() -> System.currentTimeMillis() % 60_000 < 40_000);
                long submitted = System.currentTimeMillis();
                long nextMinute = (submitted / 60_000 + 1) * 60_000;
                List<CompletableFuture<JobResult>> metered =
                        client.submitAll(FairShareTest.jobs("metered", METERED), Priority.LOW);
                List<CompletableFuture<JobResult>> others =
                        client.submitAll(FairShareTest.jobs("apps", 6), Priority.LOW);

                // the other tenant is served while the metered one waits for its next minute
                CompletableFuture.allOf(others.toArray(CompletableFuture[]::new))
                        .get(1, TimeUnit.MINUTES);
                assertThat(others)
                        .allSatisfy(r -> assertThat(r.join().succeeded()).isTrue());
                assertThat(System.currentTimeMillis())
                        .as("the other tenant's jobs answered before the metered tenant's minute ended")
                        .isLessThan(nextMinute);

                CompletableFuture.allOf(metered.toArray(CompletableFuture[]::new))
                        .get(2, TimeUnit.MINUTES);
                assertThat(metered)
                        .allSatisfy(r -> assertThat(r.join().succeeded()).isTrue());
                List<Long> meteredAt = simulator.calls().all().stream()
                        .filter(c -> c.jobId() != null && c.jobId().startsWith("metered-"))
                        .map(CallLog.Call::atMillis)
                        .toList();
                System.out.println("metered jobs at the provider, ms after submission: "
                        + meteredAt.stream().map(at -> at - submitted).sorted().toList() + " (the next minute at "
                        + (nextMinute - submitted) + " ms)");
                assertThat(meteredAt).as("one provider call per metered job").hasSize(METERED);
                assertThat(meteredAt.stream().filter(at -> at < nextMinute).count())
                        .as("metered jobs at the provider before the minute ended")
                        .isEqualTo(PER_MINUTE);

                // one result record per job (records counted), none dead-lettered
                Map<String, Long> results = WorkerHarness.readAll(infra, topics.results()).stream()
                        .map(r -> JobCodec.readResult(r.value()).id())
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
                assertThat(results).hasSize(METERED + 6);
                assertThat(results.values()).allMatch(n -> n == 1);
                assertThat(WorkerHarness.readAll(infra, topics.deadLetter())).isEmpty();
            } finally {
                for (Process worker : workers) {
                    worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }
}
