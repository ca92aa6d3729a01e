package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.HostTools;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * The examples of the README and the docs run, as written, against a worker: the curl with curl, the Python producer
 * with Python and Debian's confluent-kafka (installed when missing), and the README's {@code JobClient} example is this
 * test's code, word for word. Only the addresses, the key and the topics are the test's own.
 */
@IntegrationTest
class DocsExamplesTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void the_readme_and_producing_examples_run_as_written(Infrastructure infra) throws Exception {
        Topics topics = WorkerHarness.topics("docs");
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(10)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(infra, "docs", simulator.baseUrl())) {
            String base = "http://localhost:" + worker.getEnvironment().getProperty("local.server.port");

            // the README's curl: an OpenAI chat completion with the tenant's key
            String curl = block(REPO.resolve("README.md"), "bash", "curl -s http://localhost:8080/v1/chat/completions");
            HostTools.require("curl", "curl"); // installed when missing
            HostTools.Result chat = HostTools.run(
                    Map.of("PATH", System.getenv("PATH"), "KEY", WorkerHarness.TENANT_KEY),
                    Duration.ofSeconds(60),
                    "bash",
                    "-c",
                    curl.replace("http://localhost:8080", base));
            assertThat(chat.code()).as(chat.output()).isZero();
            JsonNode completion = JobCodec.mapper().readTree(chat.output());
            assertThat(completion
                            .path("choices")
                            .path(0)
                            .path("message")
                            .path("content")
                            .asString())
                    .as(chat.output())
                    .isNotBlank();

            // docs/producing.md's Python producer and reader, on plain Kafka and JSON
            String python = block(REPO.resolve("docs/producing.md"), "python", "from confluent_kafka import");
            String ours = python.replace("localhost:9092", infra.bootstrapServers())
                    .replace("\"llm.jobs.medium\"", "\"" + topics.medium() + "\"")
                    .replace("[\"llm.results\"]", "[\"" + topics.results() + "\"]");
            assertThat(ours).as("the test's topics replace the example's").isNotEqualTo(python);
            HostTools.Result py = HostTools.run(
                    Map.of("PATH", System.getenv("PATH")),
                    Duration.ofSeconds(90),
                    HostTools.python3With("confluent_kafka", "python3-confluent-kafka"),
                    "-c",
                    ours);
            assertThat(py.code()).as(py.output()).isZero();
            assertThat(py.output()).contains("py-1 SUCCEEDED None");

            // the README's JobClient example, as this test runs it
            String bootstrap = infra.bootstrapServers();
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                jobs.add(Job.chat("job-" + (i + 2), "question " + i));
            }
            // README: JobClient
            try (JobClient client =
                    JobClient.builder(bootstrap).topics(topics).build()) { // reads llm.results from now on
                JobResult one = client.submit(Job.chat("job-1", "Prove that ..."), Priority.HIGH)
                        .get();

                List<CompletableFuture<JobResult>> many = client.submitAll(jobs, Priority.LOW); // batched sends
                CompletableFuture.allOf(many.toArray(CompletableFuture[]::new)).join();
                // end of the README's lines
                assertThat(one.status()).isEqualTo(JobStatus.SUCCEEDED);
                assertThat(many)
                        .hasSize(3)
                        .allSatisfy(f -> assertThat(f.join().status()).isEqualTo(JobStatus.SUCCEEDED));
            }
            String readme = block(REPO.resolve("README.md"), "java", "JobClient.builder(");
            String here = Files.readString(
                    REPO.resolve("worker/src/test/java/dev/llmdispatch/worker/DocsExamplesTest.java"),
                    StandardCharsets.UTF_8);
            String tested = here.substring(
                            here.indexOf("// README: JobClient") + "// README: JobClient".length(),
                            here.indexOf("// end of the README's lines"))
                    .replace("JobClient.builder(bootstrap).topics(topics)", "JobClient.builder(\"localhost:9092\")");
            assertThat(words(tested))
                    .as("the README's JobClient example is the one this test runs (but its closing brace)")
                    .isEqualTo(words(readme.substring(0, readme.stripTrailing().length() - 1)));
        }
    }

    /** The first fenced block of {@code language} in the file that contains {@code containing}. */
    private static String block(Path file, String language, String containing) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int from = 0;
        while (true) {
            int open = text.indexOf("```" + language + "\n", from);
            assertThat(open)
                    .as("a %s block with %s in %s", language, containing, file)
                    .isNotNegative();
            int start = open + language.length() + 4;
            int end = text.indexOf("```", start);
            String block = text.substring(start, end);
            if (block.contains(containing)) {
                return block;
            }
            from = end + 3;
        }
    }

    /** Code without its layout, which the formatter may change: what is left is what it says. */
    private static String words(String code) {
        return code.replaceAll("\\s+", "");
    }
}
