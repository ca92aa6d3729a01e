package dev.llmdispatch.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class SimulatorApiTest {

    private Simulator simulator;
    private SimHttp http;

    @BeforeEach
    void start() {
        simulator = Simulator.start(new SimulatorConfig(
                0,
                List.of(
                        SimAccount.of("openai-1", "ko", 0, null, 0),
                        new SimAccount("nv-1", "kn", 0, null, 0, 50, "nvidia"),
                        new SimAccount("sf-1", "ks", 0, null, 0, 0, "siliconflow")),
                List.of(),
                LatencyModel.NONE,
                0,
                16,
                0));
        http = new SimHttp(simulator);
    }

    @AfterEach
    void stop() {
        simulator.close();
    }

    @Test
    void answers_chat_with_an_openai_shaped_completion() {
        HttpResponse<String> response = http.chat("ko");
        JsonNode body = SimHttp.json(response);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(body.path("model").asString()).isEqualTo("m");
        assertThat(body.path("choices").get(0).path("message").path("content").asString())
                .contains("openai-1");
        assertThat(body.path("usage").path("total_tokens").asInt())
                .isEqualTo(body.path("usage").path("prompt_tokens").asInt()
                        + body.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void returns_reasoning_content_when_thinking_is_asked_for() {
        JsonNode body = SimHttp.json(
                http.post(
                        "/chat/completions",
                        "ko",
                        "{\"model\":\"m\",\"chat_template_kwargs\":{\"thinking\":true},\"messages\":[{\"role\":\"user\",\"content\":\"why\"}]}"));
        assertThat(body.path("choices")
                        .get(0)
                        .path("message")
                        .path("reasoning_content")
                        .asString())
                .isNotEmpty();
    }

    @Test
    void answers_embeddings_with_one_vector_per_input() {
        JsonNode body = SimHttp.json(http.post("/embeddings", "ks", "{\"model\":\"e\",\"input\":[\"a\",\"b\",\"c\"]}"));
        assertThat(body.path("data")).hasSize(3);
        assertThat(body.path("data").get(2).path("embedding")).hasSize(16);
    }

    @Test
    void lists_models_and_refuses_unknown_keys() {
        assertThat(http.get("/models", "ko").statusCode()).isEqualTo(200);
        HttpResponse<String> unknown = http.chat("wrong-key");
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(simulator.calls().all())
                .last()
                .extracting(CallLog.Call::outcome)
                .isEqualTo(CallLog.UNAUTHORIZED);
    }

    @Test
    void refuses_a_prompt_over_the_context_window_and_bad_bodies() {
        String longPrompt = "x".repeat(400);
        HttpResponse<String> tooLong = http.post(
                "/chat/completions",
                "kn",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + longPrompt + "\"}]}");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("maximum context length");
        assertThat(http.post("/chat/completions", "ko", "{not json").statusCode())
                .isEqualTo(400);
        assertThat(http.post("/chat/completions", "ko", "{\"model\":\"m\",\"messages\":[]}")
                        .statusCode())
                .isEqualTo(400);
    }

    @Test
    void speaks_each_providers_error_style() {
        simulator.inject(Fault.storm("nv-1", 2500));
        simulator.inject(Fault.storm("sf-1", 1000));
        HttpResponse<String> nvidia = http.chat("kn");
        assertThat(nvidia.statusCode()).isEqualTo(429);
        assertThat(SimHttp.json(nvidia).path("title").asString()).isEqualTo("Too Many Requests");
        assertThat(nvidia.headers().firstValue("retry-after-ms")).hasValue("2500");
        assertThat(nvidia.headers().firstValue("Retry-After")).hasValue("3");
        JsonNode sf = SimHttp.json(http.chat("ks"));
        assertThat(sf.has("message")).isTrue();
        assertThat(sf.path("data").isNull()).isTrue();
    }

    @Test
    void injects_and_clears_faults_over_the_admin_endpoint() {
        assertThat(http.admin("POST", "/admin/faults", "{\"account\":\"openai-1\",\"mode\":\"down\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(http.chat("ko").statusCode()).isEqualTo(503);
        http.admin("POST", "/admin/faults", "{\"account\":\"openai-1\",\"mode\":\"status\",\"status\":401}");
        assertThat(http.chat("ko").statusCode()).isEqualTo(401);
        http.admin("POST", "/admin/faults", "{\"account\":\"openai-1\",\"mode\":\"malformed\"}");
        HttpResponse<String> malformed = http.chat("ko");
        assertThat(malformed.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> SimHttp.json(malformed)).isInstanceOf(RuntimeException.class);
        http.admin("POST", "/admin/faults", "{\"account\":\"openai-1\",\"mode\":\"flaky\",\"probability\":1.0}");
        assertThat(http.chat("ko").statusCode()).isEqualTo(500);

        assertThat(http.admin("DELETE", "/admin/faults", null).statusCode()).isEqualTo(200);
        assertThat(http.chat("ko").statusCode()).isEqualTo(200);
        assertThat(http.admin("POST", "/admin/faults", "{\"mode\":\"sideways\"}")
                        .body())
                .contains("fault.mode must be");
        assertThat(http.admin("POST", "/admin/faults", "{\"account\":\"nope\",\"mode\":\"down\"}")
                        .statusCode())
                .isEqualTo(400);

        JsonNode stats = SimHttp.json(http.admin("GET", "/admin/stats", null));
        assertThat(stats.path("openai-1").path("outcomes").path("fault:down").asInt())
                .isEqualTo(1);
        JsonNode calls = SimHttp.json(http.admin("GET", "/admin/calls?after=0", null));
        assertThat(calls).hasSize(5);
    }

    @Test
    void slow_fault_adds_latency() {
        simulator.inject(Fault.slow("openai-1", 300));
        http.chat("ko");
        assertThat(simulator.calls().all())
                .last()
                .extracting(CallLog.Call::latencyMs)
                .asInstanceOf(InstanceOfAssertFactories.LONG)
                .isGreaterThanOrEqualTo(300L);
    }

    @Test
    void latency_models_sample_within_their_shape() {
        Random random = new Random(7);
        assertThat(LatencyModel.fixed(40).plusPerOutputToken(2).sampleMillis(random, 10))
                .isEqualTo(60);
        for (int i = 0; i < 1000; i++) {
            assertThat(LatencyModel.uniform(10, 20).sampleMillis(random, 0)).isBetween(10L, 20L);
        }
        double median = IntStream.range(0, 2001)
                .mapToLong(i -> LatencyModel.logNormal(100, 0.5).sampleMillis(random, 0))
                .sorted()
                .skip(1000)
                .findFirst()
                .orElseThrow();
        assertThat(median).isBetween(85.0, 115.0);
    }

    @Test
    void loads_a_yaml_config_and_names_bad_values(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sim.yaml");
        Files.writeString(file, """
                port: 0
                accounts:
                  - {id: nvidia-1, key: k1, requests: 40, per: 6s, concurrency: 5, style: nvidia}
                latency: {type: uniform, minMs: 5, maxMs: 10}
                """);
        SimulatorConfig config = SimulatorConfig.load(file);
        assertThat(config.accounts().get(0).window()).isEqualTo(Duration.ofSeconds(6));
        assertThat(config.latency().type()).isEqualTo("uniform");

        Files.writeString(file, "accounts:\n  - {id: a, key: k, requests: 5, per: soon}\n");
        assertThatThrownBy(() -> SimulatorConfig.load(file))
                .hasMessageContaining("accounts[a].per")
                .hasMessageContaining("soon");
    }
}
