package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A token quota counts what the provider says it used, not the estimate: a chat job is estimated at its prompt (the
 * answer's length is unknown until it comes), the answer's {@code usage} then replaces the estimate. The quota runs out
 * after a few real answers and the next jobs go down the chain.
 */
@IntegrationTest
class TokenUsageTest {

    private static final int JOBS = 10;

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void a_quota_spent_by_real_usage_stops_grants_and_the_jobs_go_to_the_next_provider(Infrastructure infra)
            throws Exception {
        String ns = "tokens";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(5)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(
                        infra,
                        ns,
                        simulator.baseUrl(),
                        "--dispatch.providers.hunyuan.accounts[0].limits.tokens=100",
                        "--dispatch.providers.hunyuan.accounts[0].limits.tokens-per=1d");
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {
            List<JobResult> results = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                // about 7 tokens estimated (a short prompt, no max_tokens); the simulator answers 24 more
                Job job = Job.chat("tok-" + i, "question " + i).toBuilder()
                        .tier(Tier.TIER_2)
                        .build();
                JobResult result = client.submit(job, Priority.HIGH).get(1, TimeUnit.MINUTES);
                assertThat(result.status()).isEqualTo(JobStatus.SUCCEEDED);
                results.add(result);
            }
            List<JobResult> onHunyuan = results.stream()
                    .filter(r -> "hunyuan-1".equals(r.account()))
                    .toList();
            long used = onHunyuan.stream()
                    .mapToLong(
                            r -> r.response().path("usage").path("total_tokens").asLong())
                    .sum();

            assertThat(used).as("what the provider reported").isGreaterThan(100);
            assertThat(worker.getBean(Capacity.class).usage("hunyuan-1").tokensInWindow())
                    .as("the quota counts the reported usage, exactly")
                    .isEqualTo(used);
            // granted while the reported usage plus the next estimate fitted: a handful, not the 14 estimates would
            // allow
            assertThat(onHunyuan).hasSizeBetween(3, 5);
            assertThat(results.subList(onHunyuan.size(), JOBS))
                    .as("once the quota is spent, every job goes down the chain")
                    .allSatisfy(r -> assertThat(r.account()).startsWith("nvidia"));
        }
    }
}
