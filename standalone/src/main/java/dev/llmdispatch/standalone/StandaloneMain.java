package dev.llmdispatch.standalone;

import dev.llmdispatch.simulator.MissionAccounts;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.testkit.LocalKafka;
import dev.llmdispatch.testkit.LocalRedis;
import dev.llmdispatch.worker.WorkerApplication;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole system on one machine: a real Kafka broker (KRaft, in this JVM), a real redis-server, the
 * provider simulator with the mission's accounts (unless an API key is set in the environment: then the
 * real providers), and one worker. Ctrl-C stops everything it started.
 *
 * <p>Options: {@code --redis-port N} (default 6379), {@code --http-port N} (8080), {@code --simulator-port N}
 * (8090); anything else is passed to the worker as Spring arguments. The broker picks a free port and the
 * banner prints it.
 */
public final class StandaloneMain {

    static final List<String> KEY_VARIABLES =
            List.of("NVIDIA_API_KEY_1", "NVIDIA_API_KEY_2", "HUNYUAN_API_KEY", "SILICONFLOW_API_KEY");

    private StandaloneMain() {}

    public static void main(String[] args) {
        Map<String, Integer> ports =
                new LinkedHashMap<>(Map.of("--redis-port", 6379, "--http-port", 8080, "--simulator-port", 8090));
        List<String> springArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (ports.containsKey(args[i]) && i + 1 < args.length) {
                ports.put(args[i], Integer.parseInt(args[++i]));
            } else {
                springArgs.add(args[i]);
            }
        }
        List<AutoCloseable> started = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAll(started), "standalone-stop"));
        System.out.println("llm-dispatch standalone: starting Kafka, Redis"
                + (usesRealProviders() ? "" : ", the simulator") + " and a worker ...");
        LocalRedis redis = LocalRedis.start(ports.get("--redis-port"));
        started.add(redis);
        LocalKafka kafka = LocalKafka.start();
        started.add(kafka);
        List<String> workerArgs = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--dispatch.redis.url=" + redis.url(),
                "--server.port=" + ports.get("--http-port")));
        String providers;
        if (usesRealProviders()) {
            providers = "real providers (keys from "
                    + KEY_VARIABLES.stream()
                            .filter(v -> System.getenv(v) != null
                                    && !System.getenv(v).isBlank())
                            .toList()
                    + ")";
        } else {
            Simulator simulator = Simulator.start(
                    MissionAccounts.config(MissionAccounts.REAL_TIME).withPort(ports.get("--simulator-port")));
            started.add(simulator);
            workerArgs.addAll(MissionAccounts.workerProperties(simulator.baseUrl(), MissionAccounts.REAL_TIME));
            providers = "the provider simulator at " + simulator.baseUrl()
                    + " (accounts nvidia-1, nvidia-2, hunyuan-1, siliconflow-1; stats at "
                    + simulator.baseUrl().replace("/v1", "/admin/stats") + ")";
        }
        workerArgs.addAll(springArgs);
        ConfigurableApplicationContext worker =
                new SpringApplicationBuilder(WorkerApplication.class).run(workerArgs.toArray(String[]::new));
        started.add(worker::close);
        int http = ports.get("--http-port");
        System.out.printf("""

                llm-dispatch is running.
                  Kafka bootstrap:  %s   (jobs on llm.jobs.high|medium|low, results on llm.results, dead letters on llm.jobs.dlt)
                  Redis:            %s
                  Providers:        %s
                  Worker:           http://localhost:%d  (health: /actuator/health, metrics: /actuator/prometheus)
                  Dashboard:        http://localhost:%d/dashboard

                Submit a job and wait for its result:
                  curl -s -X POST 'http://localhost:%d/api/jobs?priority=HIGH' -H 'Content-Type: application/json' \\
                    -d '{"id":"hello-1","request":{"messages":[{"role":"user","content":"Say hello"}]}}'

                Ctrl-C stops everything.
                %n""", kafka.bootstrapServers(), redis.url(), providers, http, http, http);
    }

    static boolean usesRealProviders() {
        return KEY_VARIABLES.stream()
                .anyMatch(v -> System.getenv(v) != null && !System.getenv(v).isBlank());
    }

    private static void stopAll(List<AutoCloseable> started) {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.err.println("while stopping: " + e);
            }
        }
    }
}
