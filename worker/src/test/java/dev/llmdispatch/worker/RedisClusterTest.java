package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.CallLogStats;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.LocalRedisCluster;
import java.time.Duration;
import java.util.ArrayList;
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
 * Three worker processes whose limit state is on a three-master Redis Cluster (redis-cluster:// URL): under a flood no
 * limit is exceeded at the simulator, and every limit is reached. Mid-flood one worker gets SIGTERM, as a platform
 * stops a container: it finishes the calls it has under way, hands back the jobs it had not sent, and leaves; every
 * job gets exactly one result and exactly one provider call. It asserts counts, not times: it runs beside the other
 * tests, its workers at a lower CPU priority (see {@code junit-platform.properties}).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class RedisClusterTest {

    private static final int JOBS = 600;
    private static final long WINDOW_MS = 6_000;

    @Test
    void limits_are_exact_on_a_redis_cluster_and_a_worker_stopped_with_sigterm_loses_and_repeats_nothing(
            Infrastructure shared) throws Exception {
        String ns = "cluster";
        Topics topics = WorkerHarness.topics(ns);
        List<Process> workers = new ArrayList<>();
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3);
                Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.logNormal(400, 0.25)));
                JobClient client = JobClient.builder(shared.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(4))
                        .build();
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, shared.bootstrapServers()))) {
            Infrastructure infra = new Infrastructure(shared.bootstrapServers(), cluster.url());
            for (int i = 0; i < 3; i++) {
                workers.add(WorkerHarness.startWorkerProcess(
                        "cluster-worker-" + i, WorkerHarness.workerArgs(infra, ns, simulator.baseUrl()), true));
            }
            WorkerHarness.awaitGroup(admin, ns + "-workers", 3);

            List<Job> jobs = WorkerHarness.tierMix("cluster", JOBS);
            List<CompletableFuture<JobResult>> futures = client.submitAll(jobs, Priority.MEDIUM);

            // a full NVIDIA window in, the platform stops one worker (SIGTERM) while it has calls under way
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> simulator.calls().all().size() > 120);
            Process stopped = workers.get(0);
            long signalled = System.nanoTime();
            stopped.destroy();
            assertThat(stopped.waitFor(60, TimeUnit.SECONDS))
                    .as("the worker leaves within its grace period after SIGTERM")
                    .isTrue();
            System.out.printf(
                    "worker stopped %d ms after SIGTERM, exit code %d%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled), stopped.exitValue());

            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            assertThat(futures).allSatisfy(f -> assertThat(f.join().status()).isEqualTo(JobStatus.SUCCEEDED));

            // exactly one result record and one provider call per job (counted, not collected)
            Map<String, Long> results = WorkerHarness.readAll(infra, topics.results()).stream()
                    .map(r -> JobCodec.readResult(r.value()).id())
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(results).hasSize(JOBS);
            assertThat(results.values()).allMatch(n -> n == 1);
            Map<String, Long> calls = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null && c.outcome().equals(CallLog.OK))
                    .collect(Collectors.groupingBy(CallLog.Call::jobId, Collectors.counting()));
            assertThat(calls).hasSize(JOBS);
            assertThat(calls.values()).as("answered provider calls per job").allMatch(n -> n == 1);

            CallLogStats stats = new CallLogStats(simulator.calls().all());
            System.out.println("simulator stats: " + simulator.stats());
            for (String account : List.of("nvidia-1", "nvidia-2", "hunyuan-1")) {
                assertThat(stats.refusedByLimits(account))
                        .as("429s from the limits of %s", account)
                        .isZero();
            }
            for (String nvidia : List.of("nvidia-1", "nvidia-2")) {
                assertThat(stats.mostAdmittedInAWindow(nvidia, WINDOW_MS, 0, Long.MAX_VALUE))
                        .as("most requests of %s in one window", nvidia)
                        .isEqualTo(40);
            }
            assertThat(stats.mostInFlight("hunyuan-1", 0, Long.MAX_VALUE))
                    .as("most calls of hunyuan-1 in flight")
                    .isEqualTo(5);
            // the state is spread over the cluster's nodes, not on one
            assertThat(cluster.keysPerNode()).allMatch(n -> n > 0);
        } finally {
            for (Process worker : workers) {
                worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
