package dev.llmdispatch.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llmdispatch.testkit.IntegrationTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The whole compose deployment, where a Docker engine is present: the image loaded from the tarball, the stack started
 * with the simulator profile and the example environment, one job answered through a worker's HTTP way in. Skipped
 * where there is no engine (DeploymentFilesIT checks the compose file with docker-compose itself, ImageIT runs the
 * image's entrypoint without one).
 */
@IntegrationTest
class ComposeStackIT {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void the_stack_comes_up_with_the_simulator_and_answers_a_job() throws Exception {
        assumeTrue(
                DockerClientFactory.instance().isDockerAvailable(),
                "no Docker engine here: the compose stack is not started (DeploymentFilesIT checks docker-compose.yml"
                        + " with docker-compose config, ImageIT runs the image's entrypoint)");
        Process load = new ProcessBuilder(
                        "docker",
                        "load",
                        "-i",
                        Path.of("target", "jib-image.tar").toString())
                .inheritIO()
                .start();
        assertThat(load.waitFor()).as("docker load").isZero();
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(REPO.resolve(".env.example"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] kv = line.split("=", 2);
                env.put(kv[0].trim(), kv[1].trim());
            }
        }
        try (ComposeContainer stack = new ComposeContainer(
                        REPO.resolve("docker-compose.yml").toFile())
                .withEnv(env)
                .withOptions("--profile simulator")
                .withExposedService(
                        "worker-1",
                        8080,
                        Wait.forHttp("/actuator/health/readiness")
                                .forStatusCode(200)
                                .withStartupTimeout(Duration.ofMinutes(5)))) {
            stack.start();
            String base =
                    "http://" + stack.getServiceHost("worker-1", 8080) + ":" + stack.getServicePort("worker-1", 8080);
            try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> answer = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/jobs?priority=HIGH&wait=120"))
                                .header("Authorization", "Bearer " + env.get("LLM_DISPATCH_API_KEY"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"id\":\"compose-1\",\"request\":{\"messages\":[{\"role\":\"user\","
                                                + "\"content\":\"Say hello\"}]}}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(answer.body()).contains("\"status\":\"SUCCEEDED\"");
            }
        }
    }
}
