package dev.llmdispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.MissionAccounts;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.WorkerApplication;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/** {@code llm-dispatch status} shows the numbers the simulator confirms. */
@IntegrationTest
class StatusCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void shows_live_use_that_the_simulator_confirms(Infrastructure infra) throws Exception {
        Topics topics = new Topics("st.jobs.high", "st.jobs.medium", "st.jobs.low", "llm.results.st", "st.jobs.dlt", 3);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(MissionAccounts.accounts(0.1), LatencyModel.fixed(3000)));
                ConfigurableApplicationContext worker = startWorker(infra, simulator, topics);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                jobs.add(Job.chat("st-" + i, "question " + i).toBuilder()
                        .tier(Tier.TIER_2)
                        .build());
            }
            client.submitAll(jobs, Priority.MEDIUM);
            String address = "http://127.0.0.1:" + worker.getEnvironment().getProperty("local.server.port");
            // 12 calls of 3 s each: hunyuan-1 full (5), then nvidia-1 (5) and nvidia-2 (2)
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> (int) simulator.stats().get("nvidia-2").get("inFlight") == 2);

            assertThat(run("status", "--worker", address, "--json")).isZero();
            JsonNode status = JobCodec.mapper().readTree(out.toString());
            for (JsonNode a : status.path("accounts")) {
                String id = a.path("account").asString();
                assertThat(a.path("inFlight").asInt())
                        .as("in flight on %s", id)
                        .isEqualTo(simulator.stats().get(id).get("inFlight"));
                if (a.path("requests").isInt()) {
                    // every request so far falls in the current window; the simulator counts them on arrival
                    assertThat(a.path("windowUsed").asLong())
                            .as("window use of %s", id)
                            .isEqualTo(simulator.stats().get(id).get("received"));
                }
            }
            assertThat(status.path("emergency").asBoolean()).isFalse();
            assertThat(status.path("queueLag").path("MEDIUM").asLong()).isEqualTo(12);

            assertThat(run("status", "--worker", address)).isZero();
            assertThat(out.toString())
                    .contains("hunyuan-1")
                    .contains("5/5")
                    .contains("nvidia-2")
                    .contains("queue lag: HIGH=0 MEDIUM=12 LOW=0");
        }
    }

    @Test
    void says_in_one_line_when_the_worker_is_unreachable() {
        assertThat(run("status", "--worker", "http://127.0.0.1:1")).isEqualTo(2);
        assertThat(err.toString().strip())
                .startsWith("llm-dispatch: cannot reach the worker at http://127.0.0.1:1")
                .doesNotContain("\n");
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        int exit =
                new CommandLine(new Main()).setOut(outWriter).setErr(errWriter).execute(args);
        outWriter.flush();
        errWriter.flush();
        return exit;
    }

    private static ConfigurableApplicationContext startWorker(Infrastructure infra, Simulator simulator, Topics t) {
        List<String> args = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + infra.bootstrapServers(),
                "--dispatch.redis.url=" + infra.redisUrl(),
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--spring.kafka.consumer.group-id=st-workers",
                "--dispatch.capacity.key-prefix=st",
                "--dispatch.topics.high=" + t.high(),
                "--dispatch.topics.medium=" + t.medium(),
                "--dispatch.topics.low=" + t.low(),
                "--dispatch.topics.results=" + t.results(),
                "--dispatch.topics.dead-letter=" + t.deadLetter(),
                "--dispatch.topics.partitions=3"));
        args.addAll(MissionAccounts.workerProperties(simulator.baseUrl(), 0.1));
        return new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new));
    }
}
