package dev.llmdispatch.standalone;

import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.testkit.LocalKafka;
import dev.llmdispatch.testkit.LocalRedis;
import dev.llmdispatch.worker.WorkerApplication;
import dev.llmdispatch.worker.security.Secrets;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * The whole system on one machine: a real Kafka broker (KRaft, in this JVM), a real redis-server, the
 * provider simulator with the default accounts (unless an API key is set in the environment: then the
 * real providers), and one worker. Ctrl-C stops everything it started.
 *
 * <p>Options: {@code --redis-port N} (default 6379), {@code --http-port N} (8080), {@code --simulator-port N}
 * (8090); anything else is passed to the worker as Spring arguments. The broker picks a free port and the
 * banner prints it.
 */
@Command(
        name = "run-local",
        mixinStandardHelpOptions = true,
        description =
                "Kafka, Redis, the provider simulator (or the real providers, when API keys are set) and a "
                        + "worker, on this machine. Other arguments go to the worker (e.g. --dispatch.consumer.max-in-flight=32).")
public final class StandaloneMain implements Runnable {

    static final List<String> KEY_VARIABLES =
            List.of("NVIDIA_API_KEY_1", "NVIDIA_API_KEY_2", "HUNYUAN_API_KEY", "SILICONFLOW_API_KEY");

    @Option(names = "--redis-port", description = "redis-server's port (default ${DEFAULT-VALUE})")
    int redisPort = 6379;

    @Option(names = "--http-port", description = "the worker's HTTP port (default ${DEFAULT-VALUE})")
    int httpPort = 8080;

    @Option(names = "--simulator-port", description = "the provider simulator's port (default ${DEFAULT-VALUE})")
    int simulatorPort = 8090;

    /** Everything else: Spring arguments for the worker. */
    @Unmatched
    List<String> springArgs = new ArrayList<>();

    public static void main(String[] args) {
        CommandLine line = new CommandLine(new StandaloneMain()).setUnmatchedOptionsArePositionalParams(false);
        int exit = line.execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    @Override
    public void run() {
        List<AutoCloseable> started = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAll(started), "standalone-stop"));
        System.out.println("llm-dispatch standalone: starting Kafka, Redis"
                + (usesRealProviders() ? "" : ", the simulator") + " and a worker ...");
        LocalRedis redis = LocalRedis.start(redisPort);
        started.add(redis);
        LocalKafka kafka = LocalKafka.start();
        started.add(kafka);
        List<String> workerArgs = new ArrayList<>(List.of(
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--dispatch.redis.url=" + redis.url(),
                "--server.port=" + httpPort));
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
                    DefaultAccounts.config(DefaultAccounts.REAL_TIME).withPort(simulatorPort));
            started.add(simulator);
            workerArgs.addAll(DefaultAccounts.workerProperties(simulator.baseUrl(), DefaultAccounts.REAL_TIME));
            providers = "the provider simulator at " + simulator.baseUrl()
                    + " (accounts nvidia-1, nvidia-2, hunyuan-1, siliconflow-1; stats at "
                    + simulator.baseUrl().replace("/v1", "/admin/stats") + ")";
        }
        // secure by default, usable at once: a development tenant with a fresh key, and an admin token, for this run
        String devKey = Secrets.newKey();
        String adminToken = System.getenv().getOrDefault("LLM_DISPATCH_ADMIN_TOKEN", Secrets.newKey());
        workerArgs.add("--dispatch.tenants.dev.keys[0]=" + devKey);
        workerArgs.add("--dispatch.security.admin-token=" + adminToken);
        workerArgs.addAll(springArgs);
        ConfigurableApplicationContext worker =
                new SpringApplicationBuilder(WorkerApplication.class).run(workerArgs.toArray(String[]::new));
        started.add(worker::close);
        int http = httpPort;
        System.out.printf(
                """

                llm-dispatch is running.
                  Kafka bootstrap:  %s   (jobs on llm.jobs.high|medium|low, results on llm.results, dead letters on llm.jobs.dlt)
                  Redis:            %s
                  Providers:        %s
                  Worker:           http://localhost:%d  (health: /actuator/health)
                  Dashboard:        http://localhost:%d/dashboard  (user admin, password: the admin token)

                For this run (development only; configure dispatch.tenants and dispatch.security for real use):
                  API key (tenant dev):  %s
                  admin token:           %s

                Ask the OpenAI-compatible API (any OpenAI SDK: base URL http://localhost:%d/v1, the key above):
                  curl -s http://localhost:%d/v1/chat/completions -H 'Authorization: Bearer %s' \
                    -H 'Content-Type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Say hello"}]}'

                Submit a job in llm-dispatch's own format and wait for its result:
                  curl -s -X POST 'http://localhost:%d/api/jobs?priority=HIGH' -H 'Authorization: Bearer %s' \
                    -H 'Content-Type: application/json' \
                    -d '{"id":"hello-1","request":{"messages":[{"role":"user","content":"Say hello"}]}}'

                The fleet's state:  LLM_DISPATCH_ADMIN_TOKEN=%s bin/llm-dispatch status --worker http://localhost:%d

                Ctrl-C stops everything.
                %n""",
                kafka.bootstrapServers(),
                redis.url(),
                providers,
                http,
                http,
                devKey,
                adminToken,
                http,
                http,
                devKey,
                http,
                devKey,
                adminToken,
                http);
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
