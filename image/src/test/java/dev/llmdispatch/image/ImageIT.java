package dev.llmdispatch.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.FreePorts;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The image tarball {@code ./mvnw package} built (target/jib-image.tar, for {@code docker load}): its configuration
 * (entrypoint, user, layers), its files, and, without a Docker engine, the image itself at work: its layers unpacked
 * into a root, the entrypoint run there as the image's user ({@code chroot}, with /proc and /dev as a container has
 * them, on this machine's network) against a real broker, Redis and the simulator, answering a job and its health check.
 */
@IntegrationTest
class ImageIT {

    private static final Path TARBALL = Path.of("target", "jib-image.tar");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path unpacked;

    private static JsonNode config;
    private static JsonNode manifest;
    private static Path root;

    @BeforeAll
    static void unpack() throws Exception {
        assertThat(TARBALL).as("the image tarball, built by ./mvnw package").exists();
        Path image = Files.createDirectories(unpacked.resolve("image"));
        run(List.of("tar", "-xf", TARBALL.toAbsolutePath().toString(), "-C", image.toString()));
        manifest = JSON.readTree(image.resolve("manifest.json").toFile()).get(0);
        config = JSON.readTree(image.resolve(manifest.get("Config").asString()).toFile());
        root = Files.createDirectories(unpacked.resolve("root"));
        for (JsonNode layer : manifest.get("Layers")) {
            run(List.of(
                    "tar",
                    "--warning=no-unknown-keyword",
                    "-xzf",
                    image.resolve(layer.asString()).toString(),
                    "-C",
                    root.toString()));
        }
    }

    @Test
    void the_image_runs_the_worker_as_a_user_without_privileges_from_layers_that_change_apart() {
        assertThat(manifest.get("RepoTags").get(0).asString()).isEqualTo("llm-dispatch:0.1.0-SNAPSHOT");
        JsonNode c = config.get("config");
        List<String> entrypoint = strings(c.get("Entrypoint"));
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint).contains("-XX:MaxRAMPercentage=75", "dev.llmdispatch.worker.WorkerApplication");
        assertThat(c.get("User").asString()).isEqualTo("65532:65532");
        assertThat(c.get("ExposedPorts").has("8080/tcp")).isTrue();
        assertThat(strings(c.get("Env"))).contains("PATH=/opt/java/bin", "JAVA_HOME=/opt/java");
        assertThat(strings(c.get("Env")))
                .as("no key or token baked into the image")
                .noneMatch(e -> e.toUpperCase().matches(".*(KEY|TOKEN|PASSWORD|SECRET).*"));
        // libraries, our modules, resources, classes and the runtime each in a layer of their own (Jib names our
        // modules' layer "project dependencies" in a reactor build, "snapshot dependencies" when they come from the
        // local repository)
        List<String> layers = new ArrayList<>();
        config.get("history").forEach(h -> layers.add(h.get("comment").asString()));
        assertThat(layers).hasSize(6);
        assertThat(layers.get(1)).isIn("project dependencies", "snapshot dependencies");
        assertThat(layers).containsSubsequence("dependencies", "resources", "classes", "jvm arg files", "extra files");
        assertThat(manifest.get("Layers")).hasSize(layers.size());
    }

    @Test
    void the_files_are_roots_and_read_only_but_tmp_and_the_user_is_known() throws IOException {
        assertThat(root.resolve("opt/java/bin/java")).isExecutable();
        assertThat(root.resolve("lib64/ld-linux-x86-64.so.2")).exists();
        assertThat(root.resolve("app/jib-classpath-file")).exists();
        assertThat(Files.readString(root.resolve("etc/passwd"))).contains("nonroot:x:65532:65532:");
        try (Stream<Path> files = Files.walk(root)) {
            List<Path> writable = files.filter(p -> !Files.isSymbolicLink(p))
                    .filter(p -> {
                        try {
                            return Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_WRITE);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .map(root::relativize)
                    .toList();
            assertThat(writable).containsExactly(Path.of("tmp"));
        }
    }

    @Test
    void the_images_entrypoint_answers_a_job_and_its_health_check_passes(Infrastructure infra) throws Exception {
        assumeTrue(
                "root".equals(System.getProperty("user.name")) && new File("/usr/bin/unshare").canExecute(),
                "running the image without a Docker engine takes root (chroot, a mount namespace for /proc)");
        Files.createDirectories(root.resolve("proc"));
        Files.createDirectories(root.resolve("dev"));
        Topics topics = new Topics(
                "image.jobs.high", "image.jobs.medium", "image.jobs.low", "llm.results.image", "image.jobs.dlt", 3);
        int port = FreePorts.next();
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(20)));
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(2))
                        .build()) {
            List<String> args = new ArrayList<>(List.of(
                    "--spring.kafka.bootstrap-servers=" + infra.bootstrapServers(),
                    "--spring.kafka.consumer.group-id=image-workers",
                    "--dispatch.redis.url=" + infra.redisUrl(),
                    "--dispatch.redis.key-prefix=image",
                    "--server.port=" + port,
                    "--dispatch.topics.high=" + topics.high(),
                    "--dispatch.topics.medium=" + topics.medium(),
                    "--dispatch.topics.low=" + topics.low(),
                    "--dispatch.topics.results=" + topics.results(),
                    "--dispatch.topics.dead-letter=" + topics.deadLetter(),
                    "--dispatch.topics.partitions=3"));
            args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), 0.1));
            Process worker =
                    inImage("image-worker", strings(config.get("config").get("Entrypoint")), args);
            try {
                // the compose file's health check, word for word, at this worker's port
                List<String> healthCheck = composeHealthCheck().stream()
                        .map(a -> a.replace("localhost:8080", "127.0.0.1:" + port))
                        .toList();
                assertThat(healthCheck).contains(HealthCheck.class.getName());
                await().atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofSeconds(2))
                        .until(() ->
                                inImage("image-health", healthCheck, List.of()).waitFor() == 0);
                JobResult result = client.submit(
                                Job.chat("image-1", "from the image").toBuilder()
                                        .tier(Tier.TIER_2)
                                        .build(),
                                Priority.HIGH)
                        .get(2, TimeUnit.MINUTES);
                assertThat(result.succeeded()).isTrue();
                assertThat(simulator.calls().all().stream().filter(c -> "image-1".equals(c.jobId())))
                        .as("provider calls for the job")
                        .hasSize(1);
            } finally {
                worker.descendants().forEach(ProcessHandle::destroyForcibly);
                worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Runs a command in the unpacked image as a container would: the image's root, user and environment, /proc and
     * /dev mounted (in a mount namespace of its own); output to target/NAME.log.
     */
    private static Process inImage(String name, List<String> command, List<String> args) throws IOException {
        String r = root.toString();
        List<String> cmd = new ArrayList<>(List.of(
                "/usr/bin/unshare",
                "--mount",
                "--fork",
                "--kill-child",
                "/bin/sh",
                "-c",
                "mount -t proc proc " + r + "/proc && mount --rbind /dev " + r + "/dev && exec /usr/sbin/chroot"
                        + " --userspec=65532:65532 " + r + " \"$@\"",
                "sh"));
        cmd.addAll(command);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        for (String e : strings(config.get("config").get("Env"))) {
            String[] kv = e.split("=", 2);
            env.put(kv[0], kv[1]);
        }
        // the image's PATH for the command inside, with the host's tools for the steps before chroot
        env.put("PATH", env.get("PATH") + ":/usr/sbin:/usr/bin:/sbin:/bin");
        return pb.start();
    }

    /** The workers' health check in docker-compose.yml, without its "CMD". */
    private static List<String> composeHealthCheck() throws IOException {
        String line = Files.readAllLines(Path.of("..", "docker-compose.yml")).stream()
                .filter(l -> l.contains("test: [\"CMD\"") && l.contains(HealthCheck.class.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no HealthCheck health check in docker-compose.yml"));
        List<String> command = strings(JSON.readTree(line.substring(line.indexOf('['))));
        return command.subList(1, command.size());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", command, output).isZero();
    }
}
