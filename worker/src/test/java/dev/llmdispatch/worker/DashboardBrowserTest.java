package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Chromium;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The dashboard in a real browser (Debian's headless Chromium, installed here where missing) against a running
 * worker: it shows the accounts and their limits, live use while jobs run (checked against the simulator), the
 * jobs answered and their latency once they are done, and, with every provider down, the emergency banner, open
 * circuits and the dead letters the SDK lists.
 */
@IntegrationTest
class DashboardBrowserTest {

    private static final int JOBS = 40;
    private static final long PROVIDER_MS = 1500;

    @BeforeAll
    static void browser() {
        Chromium.ensureInstalled();
    }

    @Test
    void shows_live_capacity_traffic_emergency_and_dead_letters(Infrastructure infra) throws Exception {
        String ns = "dashboard";
        Topics topics = WorkerHarness.topics(ns);
        Path profile = Files.createTempDirectory("chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(Chromium.BROWSER.toFile());
        options.addArguments(Chromium.headlessFlags(profile));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Chromium.DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        // real-time windows (40 per minute): the whole run falls in NVIDIA's first window
        try (Simulator simulator = Simulator.start(SimulatorConfig.of(
                        DefaultAccounts.accounts(DefaultAccounts.REAL_TIME), LatencyModel.fixed(PROVIDER_MS)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(
                        infra,
                        ns,
                        simulator.baseUrl(),
                        DefaultAccounts.REAL_TIME,
                        "--dispatch.health.probe-interval=500ms",
                        "--dispatch.health.check-interval=200ms",
                        "--dispatch.resilience.recovery-wait=500ms",
                        "--dispatch.resilience.backoff-initial=20ms",
                        "--dispatch.resilience.backoff-max=100ms");
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .defaultTimeout(Duration.ofMinutes(2))
                        .build();
                DeadLetters deadLetters = new DeadLetters(infra.bootstrapServers(), topics)) {
            ChromeDriver browser = new ChromeDriver(service, options);
            try {
                String port = worker.getEnvironment().getProperty("local.server.port");
                // without the admin credential the page and its data are refused
                browser.get("http://127.0.0.1:" + port + "/dashboard?refresh=300");
                assertThat(browser.findElements(By.id("updated")))
                        .as("the dashboard without the admin credential")
                        .isEmpty();
                // with it (HTTP Basic, as a person's browser sends it after the prompt), on every request of the page
                browser.executeCdpCommand("Network.enable", Map.of());
                browser.executeCdpCommand(
                        "Network.setExtraHTTPHeaders",
                        Map.of(
                                "headers",
                                Map.of(
                                        "Authorization",
                                        "Basic "
                                                + Base64.getEncoder()
                                                        .encodeToString(("admin:" + WorkerHarness.ADMIN_TOKEN)
                                                                .getBytes(StandardCharsets.UTF_8)))));
                browser.get("http://127.0.0.1:" + port + "/dashboard?refresh=300");

                // the accounts and their limits, before any job
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> !text(browser, "updated").equals("never"));
                assertThat(cell(browser, "nvidia-1", "window")).isEqualTo("0 / 40 per 1 min");
                assertThat(cell(browser, "hunyuan-1", "window")).isEqualTo("no limit");
                assertThat(cell(browser, "hunyuan-1", "inflight")).isEqualTo("0 / 5");
                assertThat(cell(browser, "nvidia-2", "circuit")).isEqualTo("CLOSED");
                assertThat(read(browser, "#tenants tr[data-tenant='" + WorkerHarness.TENANT + "'] .weight"))
                        .as("the tenants and their weights")
                        .isEqualTo("1");
                assertThat(text(browser, "dead-letters-held")).isEqualTo("0");
                assertThat(browser.findElement(By.id("emergency")).isDisplayed())
                        .isFalse();

                // live use while the jobs run: Hunyuan full, NVIDIA's window filling, a MEDIUM backlog
                List<Job> jobs = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    jobs.add(Job.chat("dash-" + i, "question " + i).toBuilder()
                            .tier(Tier.TIER_2)
                            .build());
                }
                List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.MEDIUM);
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> cell(browser, "hunyuan-1", "inflight").equals("5 / 5")
                                && ((Number) simulator.stats().get("hunyuan-1").get("inFlight")).intValue() == 5);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> number(text(browser, "lag-MEDIUM")) > 0
                                && number(cell(browser, "nvidia-1", "window")) > 0);

                // once they are answered: the counts, the charts and the latency the simulator imposed
                CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                        .get(2, TimeUnit.MINUTES);
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> text(browser, "jobs-total").equals(String.valueOf(JOBS))
                                && text(browser, "lag-MEDIUM").equals("0")
                                && cell(browser, "hunyuan-1", "inflight").equals("0 / 5"));
                assertThat(text(browser, "succeeded-total")).isEqualTo(String.valueOf(JOBS));
                assertThat(text(browser, "failed-total")).isEqualTo("0");
                long windowUsed =
                        number(cell(browser, "nvidia-1", "window")) + number(cell(browser, "nvidia-2", "window"));
                long nvidiaCalls = (long) simulator.stats().get("nvidia-1").get("admitted")
                        + (long) simulator.stats().get("nvidia-2").get("admitted");
                assertThat(windowUsed)
                        .as("NVIDIA requests in the window (the run is shorter than one)")
                        .isEqualTo(nvidiaCalls)
                        .isPositive();
                assertThat((Boolean) ((JavascriptExecutor) browser)
                                .executeScript("return dashboard.charts.throughput.data[1].some(v => v > 0)"))
                        .isTrue();
                await().atMost(Duration.ofSeconds(10)).until(() -> number(text(browser, "latency-now")) > 0);
                long latency = number(text(browser, "latency-now"));
                assertThat(latency).as("mean provider latency shown").isBetween(PROVIDER_MS, PROVIDER_MS + 1000);
                screenshot(browser, "after-jobs");

                // every provider down: emergency banner, open circuits, the dead letters the SDK lists
                simulator.inject(Fault.of("*", "down", 1.0));
                List<Job> doomed = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    doomed.add(
                            i % 4 == 3
                                    ? Job.embedding("dark-" + i, "text " + i)
                                    : Job.chat("dark-" + i, "question " + i).toBuilder()
                                            .tier(Tier.TIER_1)
                                            .build());
                }
                client.submitAll(doomed, Priority.HIGH);
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> browser.findElement(By.id("emergency")).isDisplayed());
                screenshot(browser, "emergency");
                assertThat(List.of("nvidia-1", "nvidia-2", "hunyuan-1"))
                        .anySatisfy(account ->
                                assertThat(cell(browser, account, "circuit")).isEqualTo("OPEN"));
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    int listed = deadLetters.list(DeadLetters.Filter.ALL).size();
                    return listed > 0 && text(browser, "dead-letters-held").equals(String.valueOf(listed));
                });

                // recovery: the banner goes away by itself
                simulator.clearFaults(null);
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> !browser.findElement(By.id("emergency")).isDisplayed());
                assertThat(text(browser, "problems")).isEmpty();
            } finally {
                browser.quit();
            }
        }
    }

    /** Keeps what the browser showed, for a person to look at: target/dashboard-{name}.png. */
    private static void screenshot(WebDriver browser, String name) throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(Path.of("target", "dashboard-" + name + ".png"), png);
    }

    /** An element's text, read in one step in the page (the page redraws its tables on every refresh). */
    private static String text(WebDriver browser, String id) {
        return read(browser, "#" + id);
    }

    /** The text of one cell (by class) of an account's row. */
    private static String cell(WebDriver browser, String account, String column) {
        return read(browser, "#accounts tr[data-account='" + account + "'] td." + column);
    }

    private static String read(WebDriver browser, String selector) {
        Object text = ((JavascriptExecutor) browser)
                .executeScript(
                        "const e = document.querySelector(arguments[0]); return e === null ? null : e.textContent.trim();",
                        selector);
        return text == null ? "(no " + selector + ")" : (String) text;
    }

    /** The first whole number in a text ("1,532 ms" is 1532), or -1. */
    private static long number(String text) {
        var m = Pattern.compile("\\d[\\d,]*").matcher(text);
        return m.find() ? Long.parseLong(m.group().replace(",", "")) : -1;
    }
}
