package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.store.redis.RedisCapacityStore;
import dev.llmdispatch.store.redis.RedisConnections;
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
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.redisson.api.RedissonClient;

/**
 * A worker killed outright mid-run (its own JVM, SIGKILL: consumer and Redisson client gone, nothing
 * released or committed) loses no job, and the account permits it held come back when their lease ends; meanwhile the
 * fleet never goes over a limit. Counts only, its workers in processes of their own at a lower CPU priority: it runs
 * beside the other tests (see {@code junit-platform.properties}).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class WorkerCrashTest {

    private static final int JOBS = 40;
    private static final String[] FAST_FAILOVER = {
        "--spring.kafka.consumer.properties.session.timeout.ms=6000",
        "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000"
    };

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_killed_worker_loses_no_job_and_its_permits_come_back(Infrastructure infra) throws Exception {
        String ns = "crash";
        Topics topics = WorkerHarness.topics(ns);
        RedissonClient redis = RedisConnections.create(infra.redisUrl());
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(1500)));
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(3))
                        .build()) {
            Process doomed = WorkerHarness.startWorkerProcess(
                    "crash-worker", WorkerHarness.workerArgs(infra, ns, simulator.baseUrl(), FAST_FAILOVER), true);
            List<CompletableFuture<JobResult>> results = new ArrayList<>();
            try {
                WorkerHarness.awaitTopicsReady(infra, topics); // the worker creates them
                List<Job> jobs = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    jobs.add(Job.chat("crash-" + i, "question " + i).toBuilder()
                            .tier(Tier.TIER_2)
                            .build());
                }
                results.addAll(client.submitAll(jobs, Priority.MEDIUM));
                // the doomed worker is at full use of hunyuan-1 when it dies
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> (int) simulator.stats().get("hunyuan-1").get("inFlight") == 5);
            } finally {
                doomed.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            long killedAt = System.currentTimeMillis();
            RedisCapacityStore store = new RedisCapacityStore(redis, ns);
            AccountKeys hunyuan = AccountKeys.of(ns, "hunyuan-1");
            AccountKeys.Declaration limits = new AccountKeys.Declaration(5, -1, -1, -1, -1);
            assertThat(store.usage(hunyuan, limits).inFlight())
                    .as("the dead worker's permits are still leased")
                    .isEqualTo(5);

            Process survivor = WorkerHarness.startWorkerProcess(
                    "crash-survivor", WorkerHarness.workerArgs(infra, ns, simulator.baseUrl(), FAST_FAILOVER), true);
            try {
                CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                        .get(2, TimeUnit.MINUTES);
                assertThat(results)
                        .allSatisfy(f -> assertThat(f.join().status()).isEqualTo(JobStatus.SUCCEEDED));
                // one result record per job: records counted, not ids collected
                Map<String, Long> answered = WorkerHarness.readAll(infra, topics.results()).stream()
                        .collect(Collectors.groupingBy(
                                r -> JobCodec.readResult(r.value()).id(), Collectors.counting()));
                assertThat(answered).hasSize(JOBS);
                assertThat(answered.values()).allMatch(n -> n == 1);

                // the dead worker's permits come back when their lease ends (call timeout 10 s + margin 2 s):
                // hunyuan-1 is used again, never over its limit, and all its permits are free at the end
                assertThat(simulator.calls().all())
                        .anyMatch(c -> "hunyuan-1".equals(c.account()) && c.atMillis() > killedAt + 100);
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> store.usage(hunyuan, limits).inFlight() == 0);
                for (String account : List.of("nvidia-1", "nvidia-2", "hunyuan-1")) {
                    assertThat(simulator.stats().get(account))
                            .containsEntry("rejectedConcurrency", 0L)
                            .containsEntry("rejectedRateLimit", 0L);
                }
            } finally {
                survivor.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            redis.shutdown();
        }
    }
}
