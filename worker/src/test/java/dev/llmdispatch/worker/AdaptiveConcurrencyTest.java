package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.CallLogStats;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An account configured for 10 calls in flight that serves only 3 (more get 429) and slows down with each call in
 * flight: the fleet's adaptive limit comes down to the hidden limit (probing one above it now and then), the 429s
 * stop being a storm, and once the account recovers the limit climbs back to the configured 10.
 */
@IntegrationTest
class AdaptiveConcurrencyTest {

    private static final int FLOOD = 200;

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void the_limit_settles_below_a_hidden_limit_without_a_429_storm_and_comes_back_on_recovery(Infrastructure infra)
            throws Exception {
        String ns = "adaptive";
        Topics topics = WorkerHarness.topics(ns);
        List<SimAccount> accounts = DefaultAccounts.generous(50);
        List<String> args = new ArrayList<>(WorkerHarness.workerArgs(
                infra,
                ns,
                "http://placeholder",
                "--dispatch.routing.chains.TIER_2=hunyuan", // only the crowded account: nowhere else to go
                "--dispatch.resilience.rate-limit-cooldown=100ms",
                // the first round meets the hidden limit at full width: enough attempts that no job fails while the
                // limit comes down (what this test watches is the limit, not the retry budget)
                "--dispatch.resilience.attempts-per-account=10"));
        args.replaceAll(a -> a.startsWith("--dispatch.providers.hunyuan.accounts[0].limits.concurrency=")
                ? "--dispatch.providers.hunyuan.accounts[0].limits.concurrency=10"
                : a);
        try (Simulator simulator = Simulator.start(SimulatorConfig.of(accounts, LatencyModel.fixed(40)))) {
            args.replaceAll(a -> a.replace("http://placeholder", simulator.baseUrl()));
            try (ConfigurableApplicationContext worker =
                            new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new));
                    JobClient client = JobClient.builder(infra.bootstrapServers())
                            .topics(topics)
                            .build()) {
                CapacityGate gate = worker.getBean(CapacityGate.class);
                simulator.inject(Fault.crowded("hunyuan-1", 3, 20));

                long start = lastSeq(simulator);
                // the fleet's limit, as the worker learns it, sampled through the flood
                List<Integer> limits = Collections.synchronizedList(new ArrayList<>());
                AtomicBoolean flooding = new AtomicBoolean(true);
                Thread sampler = Thread.ofVirtual().start(() -> {
                    while (flooding.get()) {
                        limits.add(gate.usage("hunyuan-1").adaptiveLimit());
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                    }
                });
                run(client, "flood-", FLOOD);
                flooding.set(false);
                sampler.join();
                List<CallLog.Call> calls = simulator.calls().since(start).stream()
                        .filter(c -> "hunyuan-1".equals(c.account()) && c.path().equals("/v1/chat/completions"))
                        .toList();
                List<CallLog.Call> secondHalf = calls.subList(calls.size() / 2, calls.size());
                long refusedLater =
                        secondHalf.stream().filter(c -> c.status() == 429).count();
                List<Integer> settled = new ArrayList<>(limits.subList(limits.size() / 2, limits.size()));
                Collections.sort(settled);
                // AIMD that remembers the level it was cut from: at the hidden limit, probing one above it now and
                // then (where the next 429 cuts it back), never near the configured 10
                assertThat(settled.get(settled.size() / 2))
                        .as("median limit, second half of the flood")
                        .isLessThanOrEqualTo(3);
                assertThat(settled.getLast()).as("highest limit, second half").isLessThanOrEqualTo(5);
                assertThat(refusedLater)
                        .as("429s in the second half of the flood")
                        .isLessThanOrEqualTo(secondHalf.size() / 5);
                assertThat(new CallLogStats(secondHalf)
                                .mostInFlight("hunyuan-1", secondHalf.get(0).atMillis(), Long.MAX_VALUE))
                        .as("calls in flight at the account, second half")
                        .isLessThanOrEqualTo(5);

                // recovered: healthy calls raise the limit back to the configured 10
                simulator.clearFaults(null);
                AtomicInteger round = new AtomicInteger();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    run(client, "healthy-" + round.incrementAndGet() + "-", 60);
                    return gate.usage("hunyuan-1").adaptiveLimit() == 10;
                });
            }
        }
    }

    private static long lastSeq(Simulator simulator) {
        return simulator.calls().all().stream()
                .mapToLong(CallLog.Call::seq)
                .max()
                .orElse(0);
    }

    private static void run(JobClient client, String prefix, int n) throws Exception {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(Job.chat(prefix + i, "question " + i).toBuilder()
                    .tier(Tier.TIER_2)
                    .build());
        }
        List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        assertThat(results).allSatisfy(r -> assertThat(r.join().status()).isEqualTo(JobStatus.SUCCEEDED));
    }
}
