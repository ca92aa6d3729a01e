package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.resilience.EmergencyMonitor;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * OpenAI's own Node SDK ({@code openai} from the npm registry, run with {@code node}) against a worker's {@code /v1}
 * API and the simulator: what an agent-platform engineer pointing an OpenAI client at the fleet gets.
 */
@IntegrationTest
class OpenAiSdkTest {

    private static final String TINY_KEY = "sk-tiny-3e8a";
    private static final Path WORK = Path.of("target", "openai-sdk");

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void the_official_sdk_chats_embeds_lists_models_and_gets_openai_errors(Infrastructure infra) throws Exception {
        installSdk();
        LogCapture logs = new LogCapture();
        String ns = "openai";
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(1000)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(
                        infra,
                        ns,
                        simulator.baseUrl(),
                        "--dispatch.tenants.tiny.keys[0]=" + TINY_KEY,
                        "--dispatch.tenants.tiny.requests-per-day=1",
                        // the probes would end the emergency this test makes by hand
                        "--dispatch.health.probe-interval=10m")) {
            WorkerHarness.awaitBalanced(WorkerHarness.topics(ns), worker);
            String baseUrl = "http://127.0.0.1:" + worker.getEnvironment().getProperty("local.server.port") + "/v1";
            long mark = lastSeq(simulator);

            JsonNode seen = node("basic", baseUrl);

            assertThat(seen.path("chat").path("object").asString()).isEqualTo("chat.completion");
            assertThat(seen.path("chat").path("model").asString())
                    .as("the name the request used")
                    .isEqualTo("tier-2");
            assertThat(seen.path("chat").path("content").asString()).isNotBlank();
            assertThat(seen.path("chat").path("usage").path("total_tokens").asInt())
                    .isPositive();

            // streamed: chunks as the provider generates them (the simulator spreads a streamed answer's pieces over
            // 800 ms after its first at 200 ms), the SDK's own chunk objects, usage when asked, the name asked for
            JsonNode stream = seen.path("stream");
            assertThat(stream.path("objects").toString()).isEqualTo("[\"chat.completion.chunk\"]");
            assertThat(stream.path("models").toString()).isEqualTo("[\"tier-2\"]");
            assertThat(stream.path("text").asString()).startsWith("Simulated answer from hunyuan-1");
            assertThat(stream.path("finish").asString()).isEqualTo("stop");
            assertThat(stream.path("usage").path("total_tokens").asInt()).isPositive();
            JsonNode content = stream.path("contentArrivals");
            assertThat(content.size()).as("content chunks").isGreaterThanOrEqualTo(5);
            assertThat(content.get(content.size() - 1).asLong() - content.get(0).asLong())
                    .as("ms from the first content chunk to the last: the first came while the rest was generated")
                    .isGreaterThanOrEqualTo(400);

            JsonNode embeddings = seen.path("embeddings");
            assertThat(embeddings.path("count").asInt()).isEqualTo(3);
            assertThat(embeddings.path("indexes").toString()).isEqualTo("[0,1,2]");
            assertThat(embeddings.path("finite").asBoolean())
                    .as("base64 vectors decoded by the SDK")
                    .isTrue();
            assertThat(embeddings.path("dimensions").get(0).asInt()).isPositive();
            assertThat(embeddings.path("model").asString()).isEqualTo("auto");

            assertThat(seen.path("models").toString())
                    .contains("\"auto\"", "\"tier-1\"", "\"tier-2\"", "\"tier-3\"", "\"hunyuan-turbos-latest\"");

            assertThat(seen.path("badKey").path("name").asString()).isEqualTo("AuthenticationError");
            assertThat(seen.path("badKey").path("status").asInt()).isEqualTo(401);

            assertThat(seen.path("withinBudget").asString()).isEqualTo("no error");
            JsonNode over = seen.path("overBudget");
            assertThat(over.path("name").asString()).isEqualTo("RateLimitError");
            assertThat(over.path("status").asInt()).isEqualTo(429);
            assertThat(over.path("message").asString()).contains("tiny", "requests-per-day");
            assertThat(over.path("retryAfter").asString()).isNotBlank();

            // provider calls: one chat, one streamed chat, one embedding batch, tiny's one admitted chat; nothing for
            // the
            // refused calls
            List<CallLog.Call> calls = simulator.calls().since(mark).stream()
                    .filter(c -> !c.path().endsWith("/models"))
                    .toList();
            assertThat(calls.stream().filter(c -> c.path().endsWith("/chat/completions")))
                    .hasSize(3);
            assertThat(calls.stream().filter(c -> c.path().endsWith("/embeddings")))
                    .hasSize(1);

            // emergency: every account out of use; the SDK reports a 503 with the sentence
            Cooldowns cooldowns = worker.getBean(Cooldowns.class);
            for (String account : simulator.stats().keySet()) {
                cooldowns.block(account, Duration.ofMinutes(2), BlockReason.CIRCUIT_OPEN);
            }
            EmergencyMonitor emergency = worker.getBean(EmergencyMonitor.class);
            await().atMost(Duration.ofSeconds(10)).until(emergency::active);
            JsonNode refused = node("emergency", baseUrl).path("emergency");
            assertThat(refused.path("name").asString()).isEqualTo("InternalServerError");
            assertThat(refused.path("status").asInt()).isEqualTo(503);
            assertThat(refused.path("message").asString()).contains("Every provider is down");
            assertThat(refused.path("retryAfter").asString()).isNotBlank();
            simulator.stats().keySet().forEach(cooldowns::unblock);

            // no key or token, hashed or not, in a log line, a response the SDK saw, or the metrics
            List<String> secrets = List.of(
                    WorkerHarness.TENANT_KEY,
                    WorkerHarness.sha256(WorkerHarness.TENANT_KEY),
                    TINY_KEY,
                    WorkerHarness.sha256(TINY_KEY),
                    WorkerHarness.ADMIN_TOKEN,
                    WorkerHarness.sha256(WorkerHarness.ADMIN_TOKEN));
            logs.assertNoneContains(secrets);
            String answers = seen.toString() + refused;
            assertThat(secrets).noneMatch(answers::contains);
            String metrics = HttpClient.newHttpClient()
                    .send(
                            WorkerHarness.admin(baseUrl.replace("/v1", "/actuator/prometheus"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            assertThat(metrics)
                    .contains("llm_dispatch_tenant_requests_total{outcome=\"budget\",tenant=\"tiny\"} 1.0")
                    .contains("llm_dispatch_tenant_requests_total{outcome=\"admitted\",tenant=\"tiny\"} 1.0")
                    .contains("llm_dispatch_tenant_tokens_total{tenant=\"" + WorkerHarness.TENANT + "\"}");
            assertThat(secrets).noneMatch(metrics::contains);
        } finally {
            logs.close();
        }
    }

    private static long lastSeq(Simulator simulator) {
        return simulator.calls().all().stream()
                .mapToLong(CallLog.Call::seq)
                .max()
                .orElse(0);
    }

    /** The SDK, pinned in package.json, installed from the npm registry once per build directory. */
    private static void installSdk() throws Exception {
        Files.createDirectories(WORK);
        for (String file : List.of("package.json", "check.mjs")) {
            try (InputStream in = OpenAiSdkTest.class.getResourceAsStream("/openai-sdk/" + file)) {
                Files.copy(in, WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (!Files.isDirectory(WORK.resolve("node_modules/openai"))) {
            run(List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"), Map.of(), 5);
        }
    }

    /** Runs the SDK scenario and reads the one JSON line it prints. */
    private static JsonNode node(String scenario, String baseUrl) throws Exception {
        String out = run(
                List.of("node", "check.mjs", scenario),
                Map.of("BASE_URL", baseUrl, "KEY", WorkerHarness.TENANT_KEY, "TINY_KEY", TINY_KEY),
                2);
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        return JobCodec.mapper().readTree(last);
    }

    private static String run(List<String> command, Map<String, String> env, int minutes) throws Exception {
        Path log = Files.createTempFile(WORK.toAbsolutePath(), "run-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(WORK.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "this test runs OpenAI's Node SDK and needs " + command.get(0)
                            + " (Node.js 20 or later, with npm) on the PATH: " + e.getMessage(),
                    e);
        }
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in " + minutes + " min");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(
                    String.join(" ", command) + " failed with exit code " + p.exitValue() + ":\n" + output);
        }
        return output;
    }
}
