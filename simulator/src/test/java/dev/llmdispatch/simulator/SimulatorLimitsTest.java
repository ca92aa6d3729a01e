package dev.llmdispatch.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The simulator is the referee of every limit test: these prove it counts exactly. */
class SimulatorLimitsTest {

    private Simulator simulator;

    @AfterEach
    void stop() {
        if (simulator != null) {
            simulator.close();
        }
    }

    @Test
    void refuses_the_41st_request_inside_a_40_per_minute_window() {
        simulator = Simulator.start(SimulatorConfig.of(
                List.of(SimAccount.of("nvidia-1", "k1", 40, Duration.ofSeconds(60), 0)), LatencyModel.NONE));
        SimHttp http = new SimHttp(simulator);

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 41; i++) {
            statuses.add(http.chat("k1").statusCode());
        }

        assertThat(statuses.subList(0, 40)).containsOnly(200);
        HttpResponse<String> refused = http.chat("k1");
        assertThat(statuses.get(40)).isEqualTo(429);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        long retryAfterMs =
                Long.parseLong(refused.headers().firstValue("retry-after-ms").orElseThrow());
        assertThat(retryAfterMs).isBetween(1L, 60_001L);
        assertThat(SimHttp.json(refused).path("error").path("code").asString()).isEqualTo("rate_limit_exceeded");
        Map<String, Object> stats = simulator.stats().get("nvidia-1");
        assertThat(stats)
                .containsEntry("succeeded", 40L)
                .containsEntry("rejectedRateLimit", 2L)
                .containsEntry("maxInWindow", 40)
                .containsEntry("received", 42L);
    }

    @Test
    void admits_again_once_the_oldest_request_leaves_the_window() {
        simulator = Simulator.start(
                SimulatorConfig.of(List.of(SimAccount.of("a", "k", 3, Duration.ofSeconds(2), 0)), LatencyModel.NONE));
        SimHttp http = new SimHttp(simulator);
        for (int i = 0; i < 3; i++) {
            assertThat(http.chat("k").statusCode()).isEqualTo(200);
        }
        assertThat(http.chat("k").statusCode()).isEqualTo(429);

        await().atMost(Duration.ofSeconds(6)).until(() -> http.chat("k").statusCode() == 200);

        assertThat(simulator.stats().get("a")).containsEntry("maxInWindow", 3);
    }

    @Test
    void refuses_the_6th_concurrent_request_on_a_5_in_flight_account() throws Exception {
        simulator = Simulator.start(
                SimulatorConfig.of(List.of(SimAccount.of("hunyuan-1", "kh", 0, null, 5)), LatencyModel.fixed(5000)));
        SimHttp http = new SimHttp(simulator);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<CompletableFuture<HttpResponse<String>>> first = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            first.add(CompletableFuture.supplyAsync(() -> http.chat("kh"), pool));
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> (int) simulator.stats().get("hunyuan-1").get("inFlight") == 5);

        HttpResponse<String> sixth = http.chat("kh");

        assertThat(sixth.statusCode()).isEqualTo(429);
        assertThat(SimHttp.json(sixth).path("error").path("code").asString()).isEqualTo("concurrency_limit_exceeded");
        for (CompletableFuture<HttpResponse<String>> f : first) {
            assertThat(f.get().statusCode()).isEqualTo(200);
        }
        assertThat(simulator.stats().get("hunyuan-1"))
                .containsEntry("maxInFlight", 5)
                .containsEntry("rejectedConcurrency", 1L)
                .containsEntry("succeeded", 5L)
                .containsEntry("inFlight", 0);
        pool.shutdown();
    }

    @Test
    void stats_match_the_call_log_under_concurrent_load() throws Exception {
        simulator = Simulator.start(SimulatorConfig.of(
                List.of(SimAccount.of("a", "ka", 30, Duration.ofSeconds(2), 4), SimAccount.of("b", "kb", 0, null, 3)),
                LatencyModel.uniform(1, 15)));
        simulator.inject(Fault.of("b", "flaky", 0.2));
        SimHttp http = new SimHttp(simulator);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String key = i % 2 == 0 ? "ka" : "kb";
            calls.add(CompletableFuture.supplyAsync(() -> http.chat(key).statusCode(), pool));
        }
        for (CompletableFuture<Integer> c : calls) {
            c.get();
        }
        pool.shutdown();

        Map<String, Map<String, Long>> fromLog = new HashMap<>();
        for (CallLog.Call call : simulator.calls().all()) {
            fromLog.computeIfAbsent(call.account(), k -> new HashMap<>()).merge(call.outcome(), 1L, Long::sum);
        }
        for (String account : List.of("a", "b")) {
            Map<String, Object> stats = simulator.stats().get(account);
            assertThat(stats.get("outcomes")).isEqualTo(new TreeMap<>(fromLog.get(account)));
            long received = fromLog.get(account).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
            assertThat(stats.get("received")).isEqualTo(received);
            assertThat(stats.get("rejectedRateLimit"))
                    .isEqualTo(fromLog.get(account).getOrDefault(CallLog.RATE_LIMITED, 0L));
        }
        assertThat(simulator.calls().all()).hasSize(400);
        assertThat((int) simulator.stats().get("a").get("maxInWindow")).isLessThanOrEqualTo(30);
        assertThat((int) simulator.stats().get("a").get("maxInFlight")).isLessThanOrEqualTo(4);
        assertThat((int) simulator.stats().get("b").get("maxInFlight")).isLessThanOrEqualTo(3);
        assertThat(fromLog.get("a")).containsKey(CallLog.RATE_LIMITED);
        assertThat(fromLog.get("b")).containsKey("fault:flaky");
    }
}
