package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** A chain spread 70/30 over two providers: a flood lands 70/30 at the providers, counted where they receive it. */
@IntegrationTest
class WeightedSplitTest {

    private static final int JOBS = 400;

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_flood_on_a_70_30_chain_reaches_the_providers_70_30(Infrastructure infra) throws Exception {
        String ns = "split";
        Topics topics = WorkerHarness.topics(ns);
        // room everywhere, so that a job's first choice always takes it: the split is the weights', not the limits'
        List<SimAccount> accounts = DefaultAccounts.generous(500);
        List<String> args = new ArrayList<>(WorkerHarness.workerArgs(
                infra,
                ns,
                "http://placeholder",
                "--dispatch.routing.weights.TIER_3.hunyuan=70",
                "--dispatch.routing.weights.TIER_3.nvidia=30"));
        args.removeIf(a -> a.matches("--dispatch\\.providers\\.\\w+\\.accounts\\[\\d+]\\.limits\\.(requests|per)=.*"));
        args.replaceAll(a -> a.matches("--dispatch\\.providers\\.\\w+\\.accounts\\[\\d+]\\.limits\\.concurrency=.*")
                ? a.replaceAll("=.*", "=500")
                : a);
        try (Simulator simulator = Simulator.start(SimulatorConfig.of(accounts, LatencyModel.uniform(5, 20)))) {
            args.replaceAll(a -> a.replace("http://placeholder", simulator.baseUrl()));
            try (ConfigurableApplicationContext worker =
                            new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new));
                    JobClient client = JobClient.builder(infra.bootstrapServers())
                            .topics(topics)
                            .build()) {
                List<Job> jobs = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    jobs.add(Job.chat("split-" + i, "question " + i).toBuilder()
                            .tier(Tier.TIER_3)
                            .build());
                }
                List<CompletableFuture<JobResult>> results = client.submitAll(jobs, Priority.LOW);
                CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                        .get(2, TimeUnit.MINUTES);
                assertThat(results)
                        .allSatisfy(r -> assertThat(r.join().status()).isEqualTo(JobStatus.SUCCEEDED));

                Map<String, Long> byProvider = simulator.calls().all().stream()
                        .filter(c -> c.jobId() != null && c.jobId().startsWith("split-"))
                        .collect(Collectors.groupingBy(
                                c -> c.account().startsWith("hunyuan") ? "hunyuan" : "nvidia", Collectors.counting()));
                long total =
                        byProvider.values().stream().mapToLong(Long::longValue).sum();
                assertThat(total).as("one call per job").isEqualTo(JOBS);
                assertThat(byProvider.get("hunyuan") / (double) total).isBetween(0.67, 0.73);
                assertThat(byProvider.get("nvidia") / (double) total).isBetween(0.27, 0.33);
            }
        }
    }
}
