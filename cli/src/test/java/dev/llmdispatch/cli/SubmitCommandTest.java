package dev.llmdispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.WorkerApplication;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/** {@code llm-dispatch submit} against a running worker, real Kafka, Redis and the simulator. */
@IntegrationTest
class SubmitCommandTest {

    private static final int JOBS = 1000;

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void runs_a_1000_line_batch_reports_bad_lines_and_resumes_without_resubmitting(
            Infrastructure infra, @TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            lines.add(
                    i % 4 == 3
                            ? "{\"custom_id\":\"b-" + i
                                    + "\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"input\":\"t" + i
                                    + "\"}}"
                            : "{\"custom_id\":\"b-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                    + "\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"q" + i + "\"}]},"
                                    + "\"metadata\":{\"n\":" + i + "}}");
            if (i == 10) {
                lines.add("{not json"); // line 12
            }
            if (i == 20) {
                lines.add("{\"custom_id\":\"no-body\"}"); // line 23
            }
        }
        Path batch = dir.resolve("batch.jsonl");
        Files.write(batch, lines);
        Path out = dir.resolve("results.jsonl");

        try (Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.uniform(2, 10)));
                ConfigurableApplicationContext worker = startWorker(infra, simulator)) {
            ByteArrayOutputStream progress = new ByteArrayOutputStream();
            int exit = submit(batch, out, infra, progress);

            assertThat(exit).as("exit code when lines failed").isEqualTo(1);
            List<JsonNode> results = read(out);
            assertThat(results).hasSize(JOBS);
            assertThat(results).allSatisfy(r -> {
                assertThat(r.path("status").asString()).isEqualTo("SUCCEEDED");
                assertThat(r.path("response").path("status_code").asInt()).isEqualTo(200);
            });
            assertThat(results.stream().map(r -> r.path("custom_id").asString()).collect(Collectors.toSet()))
                    .hasSize(JOBS);
            List<JsonNode> errors = read(dir.resolve("results.errors.jsonl"));
            assertThat(errors).extracting(e -> e.path("line").asInt()).containsExactly(12, 23);
            assertThat(errors.get(1).path("error").asString())
                    .contains("no-body")
                    .contains("body is required");
            assertThat(progress.toString(StandardCharsets.UTF_8))
                    .contains("sent 1000/1002")
                    .contains("answered 1000")
                    .contains("failed 2");

            // interrupted after 400 answers (the rest of the file lost): a rerun sends only what is missing
            List<String> kept = Files.readAllLines(out).subList(0, 400);
            Files.write(out, kept);
            Files.writeString(out, "{\"custom_id\":\"b-cut", StandardOpenOption.APPEND);
            Set<String> keptIds = kept.stream()
                    .map(l -> JobCodec.mapper().readTree(l).path("custom_id").asString())
                    .collect(Collectors.toSet());
            long callsBefore = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null)
                    .count();

            int again = submit(batch, out, infra, new ByteArrayOutputStream());

            assertThat(again).isEqualTo(1); // the two bad lines are still bad
            long newCalls = simulator.calls().all().stream()
                            .filter(c -> c.jobId() != null)
                            .count()
                    - callsBefore;
            // the 600 not in the file went again; each was already answered, so no provider was called for it
            assertThat(newCalls).isZero();
            List<JsonNode> resumed = read(out);
            Set<String> all =
                    resumed.stream().map(r -> r.path("custom_id").asString()).collect(Collectors.toSet());
            assertThat(all).hasSize(JOBS);
            assertThat(resumed.stream()
                            .filter(r -> keptIds.contains(r.path("custom_id").asString()))
                            .count())
                    .as("jobs already in the file were not submitted again")
                    .isEqualTo(400);
        }
    }

    @Test
    void says_in_one_line_when_kafka_is_unreachable(@TempDir Path dir) throws Exception {
        Path batch = dir.resolve("b.jsonl");
        Files.writeString(batch, "{\"custom_id\":\"x\",\"body\":{\"messages\":[{\"role\":\"user\"}]}}\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        int exit = new CommandLine(new SubmitCommand())
                .setErr(errWriter)
                .execute(
                        "--file", batch.toString(), "--bootstrap", "127.0.0.1:1", "--kafka-timeout", "PT2S", "--quiet");
        errWriter.flush();
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip())
                .startsWith("llm-dispatch: cannot reach Kafka at 127.0.0.1:1")
                .doesNotContain("\n\tat ");
    }

    private static int submit(Path batch, Path out, Infrastructure infra, ByteArrayOutputStream progress) {
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(progress, StandardCharsets.UTF_8), true);
        return new CommandLine(new SubmitCommand())
                .setErr(errWriter)
                .execute(
                        "--file",
                        batch.toString(),
                        "--out",
                        out.toString(),
                        "--bootstrap",
                        infra.bootstrapServers(),
                        "--priority",
                        "LOW");
    }

    private static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            try {
                out.add(JobCodec.mapper().readTree(line));
            } catch (RuntimeException e) {
                // a cut line
            }
        }
        return out;
    }

    private static ConfigurableApplicationContext startWorker(Infrastructure infra, Simulator simulator) {
        List<String> args = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + infra.bootstrapServers(),
                "--dispatch.redis.url=" + infra.redisUrl(),
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--spring.kafka.consumer.group-id=cli-test-workers",
                "--dispatch.redis.key-prefix=cli-test"));
        args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), 0.1));
        return new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new));
    }
}
