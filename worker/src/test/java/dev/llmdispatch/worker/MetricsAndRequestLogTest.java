package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/** The worker's Prometheus metrics and request log agree with what the simulator saw. */
@IntegrationTest
class MetricsAndRequestLogTest {

    @Test
    void counts_every_provider_call_in_metrics_and_logs_one_line_for_each(Infrastructure infra) throws Exception {
        String ns = "metrics";
        Topics topics = WorkerHarness.topics(ns);
        Logger requestLog = (Logger) LoggerFactory.getLogger("llm-dispatch.requests");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        try (Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.uniform(5, 20)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(infra, ns, simulator.baseUrl());
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            // attached once the worker runs: Spring Boot sets logging up afresh when it starts (the test logging
            // config keeps the request log quiet for the load tests)
            requestLog.setLevel(ch.qos.logback.classic.Level.INFO);
            requestLog.addAppender(lines);
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                jobs.add(
                        i % 5 == 4
                                ? Job.embedding("m-" + i, "secret text " + i)
                                : Job.chat("m-" + i, "secret question " + i).toBuilder()
                                        .tier(Tier.values()[i % 3])
                                        .build());
            }
            List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.HIGH);
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

            String port = worker.getEnvironment().getProperty("local.server.port");
            String scrape = scrape(port);
            long providerCalls = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null)
                    .count();
            assertThat(sum(scrape, "llm_dispatch_provider_calls_total", "outcome=\"ok\""))
                    .isEqualTo(50);
            assertThat(sum(scrape, "llm_dispatch_provider_latency_seconds_count", ""))
                    .isEqualTo(providerCalls);
            for (String account : List.of("nvidia-1", "nvidia-2", "hunyuan-1", "siliconflow-1")) {
                long ok = simulator.calls().all().stream()
                        .filter(c -> account.equals(c.account()) && c.outcome().equals(CallLog.OK) && c.jobId() != null)
                        .count();
                assertThat(sum(scrape, "llm_dispatch_provider_calls_total", "account=\"" + account + "\""))
                        .as("calls to %s", account)
                        .isEqualTo(ok);
                assertThat(scrape).contains("llm_dispatch_account_in_flight{account=\"" + account + "\"}");
            }
            assertThat(sum(scrape, "llm_dispatch_emergency", "")).isZero();
            assertThat(sum(scrape, "llm_dispatch_job_queue_wait_seconds_count", "priority=\"HIGH\""))
                    .isEqualTo(50);
            assertThat(sum(scrape, "llm_dispatch_account_window_remaining", "account=\"nvidia-1\""))
                    .isBetween(0.0, 40.0);
            assertThat(sum(scrape, "llm_dispatch_dispatch_overhead_seconds_count", ""))
                    .isEqualTo(50);
            assertThat(scrape)
                    .contains(
                            "llm_dispatch_queue_lag{priority=\"HIGH\"}",
                            "llm_dispatch_circuit_state{account=\"hunyuan-1\"}",
                            "llm_dispatch_capacity_handovers_total");

            // a job answered before is answered from the answer store, no provider call
            long before = simulator.calls().all().size();
            assertThat(client.submit(jobs.get(0), Priority.HIGH)
                            .get(1, TimeUnit.MINUTES)
                            .cached())
                    .isTrue();
            assertThat(simulator.calls().all()).hasSize((int) before);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> sum(scrape(port), "llm_dispatch_answered_again_total", "") == 1);
            // queue lag comes from Kafka every 5 s: nothing is left on the HIGH topic
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> sum(scrape(port), "llm_dispatch_queue_lag", "priority=\"HIGH\"") == 0);

            // the request log: one JSON line per provider call, no prompt, no key
            requestLog.detachAppender(lines);
            assertThat(lines.list).hasSize((int) providerCalls);
            for (ILoggingEvent e : lines.list) {
                JsonNode line = JobCodec.mapper().readTree(e.getFormattedMessage());
                assertThat(line.path("jobId").asString()).startsWith("m-");
                assertThat(line.path("priority").asString()).isEqualTo("HIGH");
                assertThat(line.path("account").asString()).isNotEmpty();
                assertThat(line.path("model").asString()).isNotEmpty();
                assertThat(line.path("status").asInt()).isEqualTo(200);
                assertThat(line.path("attempt").asInt()).isEqualTo(1);
                assertThat(line.has("latencyMs")).isTrue();
                assertThat(e.getFormattedMessage()).doesNotContain("secret", "sim-");
            }
            assertThat(lines.list.stream()
                            .mapToLong(e -> JobCodec.mapper()
                                    .readTree(e.getFormattedMessage())
                                    .path("tokens")
                                    .asLong())
                            .sum())
                    .isPositive();
        } finally {
            requestLog.detachAppender(lines);
        }
    }

    /** The sum of a Prometheus metric's samples whose labels contain {@code labelPart}. */
    private static double sum(String scrape, String name, String labelPart) {
        double total = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                String labels = line.contains("{") ? line.substring(line.indexOf('{'), line.indexOf('}') + 1) : "";
                if (labels.contains(labelPart)) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return total;
    }

    private static String scrape(String port) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        WorkerHarness.admin("http://127.0.0.1:" + port + "/actuator/prometheus")
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
