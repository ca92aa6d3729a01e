package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * 300 jobs over the three priority topics, chat and embedding, through a running worker to the simulator
 * (real Kafka, real Redis, real HTTP): exactly one SUCCEEDED result per job, metadata echoed.
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT) // counts only, one light worker: beside the other tests
class EndToEndTest {

    private static final int JOBS = 300;
    /** The chat model application.yml names for each chat provider. */
    private static final Map<String, String> CHAT_MODELS =
            Map.of("nvidia", "deepseek-ai/deepseek-v3.1", "hunyuan", "hunyuan-turbos-latest");

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void answers_300_mixed_jobs_exactly_once_with_metadata_echoed(Infrastructure infra) throws Exception {
        // limits generous enough that this test is about the path, not the limits (those are enforced fleet-wide later)
        List<SimAccount> accounts = DefaultAccounts.generous(50);
        Topics topics = WorkerHarness.topics("e2e");
        try (Simulator simulator = Simulator.start(SimulatorConfig.of(accounts, LatencyModel.uniform(5, 40)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(infra, "e2e", simulator.baseUrl());
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .replyTopic(topics.results())
                        .defaultTimeout(Duration.ofMinutes(2))
                        .build()) {

            Map<Priority, List<Job>> byPriority = new EnumMap<>(Priority.class);
            Map<String, Job> jobs = new HashMap<>();
            for (int i = 0; i < JOBS; i++) {
                Job job = job(i);
                jobs.put(job.id(), job);
                byPriority
                        .computeIfAbsent(Priority.values()[i % 3], p -> new ArrayList<>())
                        .add(job);
            }
            List<CompletableFuture<JobResult>> futures = new ArrayList<>();
            byPriority.forEach((priority, list) -> futures.addAll(client.submitAll(list, priority)));
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);

            List<JobResult> results =
                    futures.stream().map(CompletableFuture::join).toList();
            assertThat(results)
                    .hasSize(JOBS)
                    .allSatisfy(r -> assertThat(r.status()).isEqualTo(JobStatus.SUCCEEDED));
            assertThat(results).extracting(JobResult::id).containsExactlyInAnyOrderElementsOf(jobs.keySet());
            for (JobResult r : results) {
                Job job = jobs.get(r.id());
                assertThat(r.metadata()).isEqualTo(job.metadata());
                assertThat(r.priority()).isEqualTo(Priority.values()[Integer.parseInt(r.id().substring(4)) % 3]);
                assertThat(r.response()).isNotNull();
                if (job.kind() == JobKind.EMBEDDING) {
                    assertThat(r.account()).isEqualTo("siliconflow-1");
                    assertThat(r.response().path("data")).isNotEmpty();
                } else if (Boolean.TRUE.equals(job.thinking())) {
                    // only nvidia has the thinking capability, whatever the tier; its configured
                    // chat_template_kwargs reached the provider
                    assertThat(r.provider()).isEqualTo("nvidia");
                    assertThat(r.response()
                                    .path("choices")
                                    .get(0)
                                    .path("message")
                                    .has("reasoning_content"))
                            .isTrue();
                } else if (job.tier() == Tier.TIER_1) {
                    // NVIDIA while it has room (5 in flight per account), then Hunyuan: each asked for its own chat
                    // model
                    assertThat(r.model()).isEqualTo(CHAT_MODELS.get(r.provider()));
                    assertThat(r.response()
                                    .path("choices")
                                    .get(0)
                                    .path("message")
                                    .has("reasoning_content"))
                            .isFalse();
                } else {
                    assertThat(r.model()).isEqualTo(CHAT_MODELS.get(r.provider()));
                }
            }

            // none twice: the reply topic holds exactly one record per job, and each job reached a provider once
            List<String> onTopic = WorkerHarness.readAll(infra, topics.results()).stream()
                    .map(rec -> JobCodec.readResult(rec.value()).id())
                    .toList();
            assertThat(onTopic).hasSize(JOBS).doesNotHaveDuplicates();
            Map<String, Long> callsPerJob = simulator.calls().all().stream()
                    .filter(c -> c.outcome().equals(CallLog.OK) && !c.path().endsWith("/models")) // startup checks
                    .collect(Collectors.groupingBy(CallLog.Call::jobId, Collectors.counting()));
            assertThat(callsPerJob)
                    .hasSize(JOBS)
                    .allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));
        }
    }

    private static Job job(int i) {
        String id = "job-" + i;
        var metadata = JsonNodeFactory.instance.objectNode().put("n", i).put("session", "s-" + (i % 7));
        if (i % 5 == 4) {
            return Job.embedding(id, "text number " + i).toBuilder()
                    .metadata(metadata)
                    .build();
        }
        Tier tier = switch (i % 4) {
            case 0 -> Tier.TIER_1;
            case 1 -> Tier.TIER_2;
            case 2 -> Tier.TIER_3;
            default -> null;
        };
        return Job.chat(id, "question " + i).toBuilder()
                .tier(tier)
                .thinking(i % 10 == 0 ? true : null)
                .metadata(metadata)
                .build();
    }
}
