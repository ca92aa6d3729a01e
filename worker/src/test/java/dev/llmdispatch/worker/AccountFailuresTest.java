package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
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
import dev.llmdispatch.worker.observe.Metrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** Two workers, real Kafka and Redis: an account down for the whole run, and an account whose key is refused. */
@IntegrationTest
class AccountFailuresTest {

    private static final String[] FAST_HEALTH = {
        "--dispatch.health.probe-interval=500ms",
        "--dispatch.resilience.backoff-initial=20ms",
        "--dispatch.resilience.backoff-max=100ms"
    };

    @Test
    void a_down_account_is_skipped_after_its_circuit_opens_and_sees_only_probes(Infrastructure infra) throws Exception {
        String ns = "down";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(30)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(infra, ns, simulator.baseUrl(), 2, FAST_HEALTH);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            simulator.inject(Fault.of("nvidia-1", "down", 1.0));
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                jobs.add(Job.chat("t1-" + i, "prove " + i).toBuilder()
                        .tier(Tier.TIER_1)
                        .build());
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.HIGH);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);

            assertThat(results).allSatisfy(f -> {
                assertThat(f.join().status()).isEqualTo(JobStatus.SUCCEEDED);
                assertThat(f.join().account()).isIn("nvidia-2", "hunyuan-1");
            });
            List<CallLog.Call> toDown = simulator.calls().all().stream()
                    .filter(c -> "nvidia-1".equals(c.account()))
                    .toList();
            // a circuit opens after 5 consecutive failures and blocks the account fleet-wide at once: a handful of
            // job calls (those of the first 5 failures and those already under way), then probes only
            long jobCalls = toDown.stream().filter(c -> isJobCall(c)).count();
            assertThat(jobCalls).isBetween(5L, 15L);
            long lastJobCall = toDown.stream()
                    .filter(c -> isJobCall(c))
                    .mapToLong(CallLog.Call::seq)
                    .max()
                    .orElseThrow();
            // probes are real one-token completions (GET /models would answer while completions fail)
            assertThat(toDown)
                    .filteredOn(c -> c.seq() > lastJobCall)
                    .allSatisfy(c -> assertThat(c.jobId()).isEqualTo("probe-nvidia-1"));
            // one alert for the outage, for the whole fleet
            assertThat(alerts(fleet.get(0), "circuit_opened") + alerts(fleet.get(1), "circuit_opened"))
                    .isEqualTo(1.0);

            // on-call sees it in the health endpoint: the account, why, and the circuits
            String port = fleet.get(1).getEnvironment().getProperty("local.server.port");
            var http = HttpClient.newHttpClient();
            String health = http.send(
                            WorkerHarness.admin("http://127.0.0.1:" + port + "/actuator/health")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            var providers =
                    JobCodec.mapper().readTree(health).path("components").path("providers");
            assertThat(providers.path("status").asString()).isEqualTo("UP");
            assertThat(providers
                            .path("details")
                            .path("blocked")
                            .path("nvidia-1")
                            .path("reason")
                            .asString())
                    .isEqualTo("CIRCUIT_OPEN");
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> probes(fleet.get(0)) + probes(fleet.get(1)) > 0);
        }
    }

    @Test
    void a_refused_key_disables_its_account_after_the_first_answer(Infrastructure infra) throws Exception {
        String ns = "refused";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(30)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(infra, ns, simulator.baseUrl(), 2, FAST_HEALTH);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            simulator.inject(Fault.status("hunyuan-1", 401));
            LogCapture logs = new LogCapture();
            JobResult first = client.submit(
                            Job.chat("k-0", "hi").toBuilder().tier(Tier.TIER_2).build(), Priority.HIGH)
                    .get(60, TimeUnit.SECONDS);
            assertThat(first.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(first.attempts()).singleElement().satisfies(a -> {
                assertThat(a.account()).isEqualTo("hunyuan-1");
                assertThat(a.status()).isEqualTo(401);
            });
            for (int w = 0; w < 2; w++) { // both workers know of the refusal before the rest are sent
                Cooldowns cooldowns = fleet.get(w).getBean(Cooldowns.class);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cooldowns.isBlocked("hunyuan-1"));
            }
            List<Job> jobs = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                jobs.add(Job.chat("k-" + i, "hi " + i).toBuilder()
                        .tier(Tier.TIER_2)
                        .build());
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

            assertThat(results).allSatisfy(f -> assertThat(f.join().status()).isEqualTo(JobStatus.SUCCEEDED));
            // one answer from the refused key, then only probes
            assertThat(simulator.calls().all())
                    .filteredOn(c -> "hunyuan-1".equals(c.account()) && isJobCall(c))
                    .hasSize(1);
            assertThat(alerts(fleet.get(0), "account_disabled") + alerts(fleet.get(1), "account_disabled"))
                    .isEqualTo(1.0);

            // no key in any log line, result or alert of this run
            logs.assertNoneContains(
                    List.of(DefaultAccounts.HUNYUAN_1_KEY, DefaultAccounts.NVIDIA_1_KEY, DefaultAccounts.NVIDIA_2_KEY));
            assertThat(results)
                    .noneSatisfy(f -> assertThat(JobCodec.toJson(f.join()))
                            .containsAnyOf(DefaultAccounts.HUNYUAN_1_KEY, DefaultAccounts.NVIDIA_1_KEY));
        }
    }

    /** A job's call: not a startup check ({@code GET /models}), not a health probe. */
    static boolean isJobCall(CallLog.Call c) {
        return !c.path().endsWith("/models") && (c.jobId() == null || !c.jobId().startsWith("probe-"));
    }

    private static double probes(ConfigurableApplicationContext worker) {
        return worker.getBean(MeterRegistry.class).find(Metrics.HEALTH_PROBES).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    /** Alerts of a kind a worker raised, from its metrics. */
    private static double alerts(ConfigurableApplicationContext worker, String kind) {
        return worker.getBean(MeterRegistry.class).find(Metrics.ALERTS).tag("kind", kind).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }
}
