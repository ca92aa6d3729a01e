package dev.llmdispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.api.DashboardReport;
import dev.llmdispatch.api.StatusReport;
import dev.llmdispatch.api.SubmitAccepted;
import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    private static final String ADMIN_TOKEN = "cli-test-admin-token";
    private static final String TENANT_KEY = "sk-cli-test-key";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void shows_live_use_that_the_simulator_confirms(Infrastructure infra) throws Exception {
        Topics topics = new Topics("st.jobs.high", "st.jobs.medium", "st.jobs.low", "llm.results.st", "st.jobs.dlt", 3);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(6000)));
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
            // 12 calls of 6 s each (as long as nvidia's window at this time scale, so that the calls are still in
            // flight while their requests are in the window): hunyuan-1 full (5), then nvidia-1 (5) and nvidia-2 (2)
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> (int) simulator.stats().get("nvidia-2").get("inFlight") == 2);

            assertThat(run("status", "--worker", address, "--admin-token", ADMIN_TOKEN, "--json"))
                    .isZero();
            JsonNode status = JobCodec.mapper().readTree(out.toString());
            assertThat(JobCodec.mapper()
                            .readValue(out.toString(), StatusReport.class)
                            .accounts())
                    .hasSize(status.path("accounts").size());
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

            assertThat(run("status", "--worker", address, "--admin-token", ADMIN_TOKEN))
                    .isZero();
            assertThat(out.toString())
                    .contains("hunyuan-1")
                    .contains("5/5")
                    .contains("40/6s 5 in flight") // nvidia's limits at this time scale, as people write them
                    .contains("nvidia-2")
                    .contains("queue lag: HIGH=0 MEDIUM=12 LOW=0");
        }
    }

    @Test
    void the_http_answers_are_the_shared_records_and_errors_are_problem_details(Infrastructure infra) throws Exception {
        Topics topics = new Topics("sr.jobs.high", "sr.jobs.medium", "sr.jobs.low", "llm.results.sr", "sr.jobs.dlt", 3);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(10)));
                ConfigurableApplicationContext worker = startWorker(infra, simulator, topics)) {
            String address = "http://127.0.0.1:" + worker.getEnvironment().getProperty("local.server.port");
            HttpClient http = HttpClient.newHttpClient();

            HttpResponse<String> status = get(http, address + "/admin/status");
            assertThat(status.statusCode()).isEqualTo(200);
            StatusReport report = JobCodec.mapper().readValue(status.body(), StatusReport.class);
            assertThat(report.accounts())
                    .extracting(StatusReport.AccountStatus::account)
                    .containsExactlyInAnyOrderElementsOf(simulator.stats().keySet());
            assertThat(report.queueLag()).containsOnlyKeys("HIGH", "MEDIUM", "LOW");
            assertThat(report.thisWorker().buffered()).containsOnlyKeys("HIGH", "MEDIUM", "LOW");
            assertThat(report.tenants())
                    .extracting(StatusReport.TenantUsage::tenant)
                    .containsExactlyInAnyOrder("apps", "batch");

            HttpResponse<String> dashboard = get(http, address + "/admin/dashboard?minutes=5");
            assertThat(dashboard.statusCode()).isEqualTo(200);
            DashboardReport page = JobCodec.mapper().readValue(dashboard.body(), DashboardReport.class);
            assertThat(page.errors()).isEmpty();
            assertThat(page.status().accounts()).hasSameSizeAs(report.accounts());
            assertThat(page.deadLettersHeld()).isZero();
            assertThat(page.alertThresholds().failureRate()).isEqualTo(0.10);
            assertThat(page.at()).isNotNull();

            HttpResponse<String> badReason = get(http, address + "/admin/dead-letters?reason=SOMETIMES");
            assertProblem(badReason, 400, "reason must be among");
            assertThat(badReason.body()).contains("SOMETIMES");

            HttpResponse<String> badPriority = post(http, address + "/api/jobs?priority=URGENT", job("sr-1"));
            assertProblem(badPriority, 400, "priority must be HIGH, MEDIUM or LOW, but was URGENT");
            assertProblem(post(http, address + "/api/jobs", "{not json"), 400, "not a valid Job");

            HttpResponse<String> accepted = post(http, address + "/api/jobs?priority=low&wait=0", job("sr-2"));
            assertThat(accepted.statusCode()).isEqualTo(202);
            assertThat(JobCodec.mapper().readValue(accepted.body(), SubmitAccepted.class))
                    .isEqualTo(new SubmitAccepted("apps:sr-2", "LOW")); // a tenant's ids are namespaced

            HttpResponse<String> answered = post(http, address + "/api/jobs?priority=HIGH", job("sr-3"));
            assertThat(answered.statusCode()).isEqualTo(200);
            JobResult result = JobCodec.readResult(answered.body().getBytes(StandardCharsets.UTF_8));
            assertThat(result.id()).isEqualTo("apps:sr-3");
            assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(result.completedAt()).isNotNull();

            // locked down: every admin route, the dashboard and actuator (but health) want the admin token
            for (String route : List.of(
                    "/admin/status",
                    "/admin/dashboard",
                    "/admin/dead-letters",
                    "/admin/keys",
                    "/dashboard",
                    "/actuator/prometheus",
                    "/actuator/metrics")) {
                HttpResponse<String> refused = http.send(
                        HttpRequest.newBuilder(URI.create(address + route)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(route).isEqualTo(401);
                HttpResponse<String> wrong = http.send(
                        HttpRequest.newBuilder(URI.create(address + route))
                                .header("Authorization", "Bearer " + TENANT_KEY) // a tenant's key is not the admin's
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(wrong.statusCode()).as(route + " with a tenant key").isEqualTo(401);
            }
            for (String route : List.of("/admin/dead-letters/replay")) {
                HttpResponse<String> refused = http.send(
                        HttpRequest.newBuilder(URI.create(address + route))
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(route).isEqualTo(401);
            }
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(address + "/actuator/health"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .as("health stays open for probes")
                    .isEqualTo(200);
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(address + "/api/jobs"))
                                            .header("Content-Type", "application/json")
                                            .POST(HttpRequest.BodyPublishers.ofString(job("sr-4")))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .as("a job without a key")
                    .isEqualTo(401);

            // a key made at run time: shown once, listed by id only, taken at once, refused once revoked
            assertThat(run("keys", "create", "--tenant", "batch", "--worker", address, "--admin-token", ADMIN_TOKEN))
                    .isZero();
            String key = out.toString().strip();
            assertThat(key).startsWith("sk-ld-");
            assertThat(run("keys", "list", "--worker", address, "--admin-token", ADMIN_TOKEN))
                    .isZero();
            assertThat(out.toString()).contains("batch").contains("runtime").doesNotContain(key);
            String id = out.toString()
                    .lines()
                    .filter(l -> l.contains("runtime"))
                    .findFirst()
                    .orElseThrow()
                    .split("\\s+")[0];
            HttpResponse<String> models = http.send(
                    HttpRequest.newBuilder(URI.create(address + "/v1/models"))
                            .header("Authorization", "Bearer " + key)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).contains("\"tier-1\"");
            assertThat(run("keys", "revoke", id, "--worker", address, "--admin-token", ADMIN_TOKEN))
                    .isZero();
            assertThat(http.send(
                                    HttpRequest.newBuilder(URI.create(address + "/v1/models"))
                                            .header("Authorization", "Bearer " + key)
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .as("a revoked key")
                    .isEqualTo(401);
            assertThat(run("keys", "list", "--worker", address))
                    .as("no admin token")
                    .isEqualTo(2);
            assertThat(err.toString()).contains("wants the admin token");
        }
    }

    private static String job(String id) {
        return JobCodec.toJson(Job.chat(id, "hi"));
    }

    private static void assertProblem(HttpResponse<String> response, int status, String detail) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = JobCodec.mapper().readTree(response.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("detail").asString()).contains(detail);
    }

    private static HttpResponse<String> get(HttpClient http, String uri) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(uri))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(HttpClient http, String uri, String json) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(uri))
                        .header("Authorization", "Bearer " + TENANT_KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
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
                "--dispatch.redis.key-prefix=st",
                "--dispatch.topics.high=" + t.high(),
                "--dispatch.topics.medium=" + t.medium(),
                "--dispatch.topics.low=" + t.low(),
                "--dispatch.topics.results=" + t.results(),
                "--dispatch.topics.dead-letter=" + t.deadLetter(),
                "--dispatch.topics.partitions=3",
                "--dispatch.security.admin-token=" + ADMIN_TOKEN,
                "--dispatch.tenants.apps.keys[0]=" + TENANT_KEY,
                "--dispatch.tenants.batch.default-priority=LOW"));
        args.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), 0.1));
        return new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new));
    }
}
