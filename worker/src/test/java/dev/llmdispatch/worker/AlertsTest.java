package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** The failure-rate and latency alerts fire once and resolve, delivered to a local webhook receiver. */
@IntegrationTest
class AlertsTest {

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void failure_rate_and_latency_alerts_fire_once_and_resolve(Infrastructure infra) throws Exception {
        ConcurrentLinkedQueue<String> generic = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> slack = new ConcurrentLinkedQueue<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/generic", ex -> {
            generic.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.createContext("/slack", ex -> {
            slack.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        String hooks = "http://127.0.0.1:" + receiver.getAddress().getPort();
        String ns = "alerts";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(20)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(
                        infra,
                        ns,
                        simulator.baseUrl(),
                        // these rules watch a fixed concurrency: the fleet's own answer to a slow provider (adaptive
                        // concurrency cutting the limit as latency rises) would thin out the calls they count
                        "--dispatch.providers.nvidia.accounts[0].limits.adaptive=false",
                        "--dispatch.providers.nvidia.accounts[1].limits.adaptive=false",
                        "--dispatch.providers.hunyuan.accounts[0].limits.adaptive=false",
                        "--dispatch.alerts.window=2s",
                        "--dispatch.alerts.min-calls=5",
                        "--dispatch.alerts.check-interval=200ms",
                        "--dispatch.alerts.mean-latency=300ms",
                        "--dispatch.alerts.webhooks[0].url=" + hooks + "/generic",
                        "--dispatch.alerts.webhooks[1].url=" + hooks + "/slack",
                        "--dispatch.alerts.webhooks[1].format=slack",
                        "--dispatch.resilience.backoff-initial=20ms",
                        "--dispatch.resilience.circuit-failures=50",
                        "--dispatch.health.probe-interval=500ms");
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            // half the answers fail: the failure-rate alert fires
            simulator.inject(Fault.of("*", "flaky", 0.5));
            run(client, "bad-", 40);
            await().atMost(Duration.ofSeconds(20)).until(() -> count(generic, "failure-rate", "FIRING") == 1);
            simulator.clearFaults(null);
            // healthy calls only in the window: it resolves
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                run(client, "good-" + System.nanoTime() + "-", 10);
                return count(generic, "failure-rate", "RESOLVED") == 1;
            });
            assertThat(count(generic, "failure-rate", "FIRING")).isEqualTo(1);
            assertThat(slack)
                    .anySatisfy(m -> assertThat(
                                    JobCodec.mapper().readTree(m).path("text").asString())
                            .startsWith("[llm-dispatch] ALERT failure-rate"));

            // slow answers: the latency alert fires, then resolves
            // (slow calls keep coming until it fires: the window counts whole seconds, so the fast calls of the
            // last second may share it with the first slow ones)
            simulator.inject(Fault.slow("*", 500));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                run(client, "slow-" + System.nanoTime() + "-", 10);
                return count(generic, "mean-latency", "FIRING") == 1;
            });
            simulator.clearFaults(null);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                run(client, "fast-" + System.nanoTime() + "-", 10);
                return count(generic, "mean-latency", "RESOLVED") == 1;
            });
            assertThat(count(generic, "mean-latency", "FIRING")).isEqualTo(1);
            assertThat(count(generic, "failure-rate", "FIRING")).isEqualTo(1);
        } finally {
            receiver.stop(0);
        }
    }

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_token_quota_nearly_spent_alerts_once_and_resolves_when_the_window_moves_on(Infrastructure infra)
            throws Exception {
        ConcurrentLinkedQueue<String> generic = new ConcurrentLinkedQueue<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/generic", ex -> {
            generic.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        String ns = "quota";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(5)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(
                        infra,
                        ns,
                        simulator.baseUrl(),
                        "--dispatch.providers.siliconflow.accounts[0].limits.tokens=100",
                        "--dispatch.providers.siliconflow.accounts[0].limits.tokens-per=4s",
                        "--dispatch.alerts.check-interval=200ms",
                        "--dispatch.alerts.webhooks[0].url=http://127.0.0.1:"
                                + receiver.getAddress().getPort() + "/generic");
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            // eleven inputs of 36 characters, 9 tokens each: 99 of the 100 tokens spent
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                jobs.add(Job.embedding("quota-" + i, String.format("%036d", i)));
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
            assertThat(results).allSatisfy(f -> assertThat(f.join().account()).isEqualTo("siliconflow-1"));

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> count(generic, "quota-low:siliconflow-1", "FIRING") == 1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> count(generic, "quota-low:siliconflow-1", "RESOLVED") == 1);
            assertThat(count(generic, "quota-low:siliconflow-1", "FIRING")).isEqualTo(1);
        } finally {
            receiver.stop(0);
        }
    }

    private static void run(JobClient client, String prefix, int n) throws Exception {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(
                    Job.chat(prefix + i, "q " + i).toBuilder().tier(Tier.TIER_2).build());
        }
        List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
    }

    private static long count(ConcurrentLinkedQueue<String> messages, String alert, String state) {
        return messages.stream()
                .map(m -> JobCodec.mapper().readTree(m))
                .filter(m -> alert.equals(m.path("alert").asString())
                        && state.equals(m.path("state").asString()))
                .count();
    }
}
