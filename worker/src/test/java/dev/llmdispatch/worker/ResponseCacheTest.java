package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** The response cache: a deterministic job asked twice reaches a provider once; an embedding batch sends only what is new. */
@IntegrationTest
class ResponseCacheTest {

    @SuppressWarnings("try") // resources kept open for the test's length, not used by name
    @Test
    void answers_repeated_deterministic_jobs_and_seen_embedding_inputs_without_asking_a_provider_again(
            Infrastructure infra) throws Exception {
        String ns = "rcache";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(10)));
                ConfigurableApplicationContext worker = WorkerHarness.startWorker(
                        infra,
                        ns,
                        simulator.baseUrl(),
                        // a token quota on the embeddings account, to see what each batch is charged
                        "--dispatch.providers.siliconflow.accounts[0].limits.tokens=1000000",
                        "--dispatch.providers.siliconflow.accounts[0].limits.tokens-per=1d");
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build()) {

            // chat: two identical deterministic jobs, one call; the same with cache: false, a second call
            JobResult first = answer(client, chat("rc-1", 0.0, null));
            JobResult second = answer(client, chat("rc-2", 0.0, null));
            JobResult refused = answer(client, chat("rc-3", 0.0, false));
            assertThat(first.cached()).isFalse();
            assertThat(second.cached()).isTrue();
            assertThat(second.response()).isEqualTo(first.response());
            assertThat(second.account()).isEqualTo(first.account());
            assertThat(refused.cached()).isFalse();
            assertThat(callsFor(simulator, "rc-1")).isEqualTo(1);
            assertThat(callsFor(simulator, "rc-2")).isZero();
            assertThat(callsFor(simulator, "rc-3")).isEqualTo(1);
            // not deterministic (temperature 0.7) and not asked for: never cached
            answer(client, chat("rc-4", 0.7, null));
            JobResult warm = answer(client, chat("rc-5", 0.7, null));
            assertThat(warm.cached()).isFalse();
            assertThat(callsFor(simulator, "rc-5")).isEqualTo(1);

            // embeddings: five inputs, then ten of which those five: only the five new ones are sent
            CapacityGate gate = worker.getBean(CapacityGate.class);
            List<String> texts = IntStream.range(0, 10)
                    .mapToObj(i -> "the embedding input number " + (100 + i))
                    .toList();
            long before = gate.usage("siliconflow-1").tokensInWindow();
            JobResult half = answer(client, embedding("re-1", texts.subList(0, 5), null));
            long chargedForFive = gate.usage("siliconflow-1").tokensInWindow() - before;
            JobResult all = answer(client, embedding("re-2", texts, null));
            long chargedForTen = gate.usage("siliconflow-1").tokensInWindow() - before - chargedForFive;
            JobResult control = answer(client, embedding("re-3", texts, false));

            assertThat(inputsSent(simulator, "re-1")).containsExactlyElementsOf(texts.subList(0, 5));
            assertThat(inputsSent(simulator, "re-2")).containsExactlyElementsOf(texts.subList(5, 10));
            assertThat(chargedForFive).isPositive();
            assertThat(chargedForTen)
                    .as("only the five inputs sent are charged")
                    .isEqualTo(chargedForFive);
            assertThat(all.status()).isEqualTo(JobStatus.SUCCEEDED);
            JsonNode data = all.response().get("data");
            assertThat(data).hasSize(10);
            for (int i = 0; i < 10; i++) {
                assertThat(data.get(i).get("index").asInt()).isEqualTo(i);
                assertThat(data.get(i).get("embedding"))
                        .as("vector %d, against a batch sent whole", i)
                        .isEqualTo(control.response().get("data").get(i).get("embedding"));
            }
            assertThat(half.response().get("data").get(3).get("embedding"))
                    .isEqualTo(data.get(3).get("embedding"));

            // all ten seen: no call, no tokens
            long beforeSeen = gate.usage("siliconflow-1").tokensInWindow();
            JobResult seen = answer(client, embedding("re-4", texts, null));
            assertThat(seen.cached()).isTrue();
            assertThat(callsFor(simulator, "re-4")).isZero();
            assertThat(gate.usage("siliconflow-1").tokensInWindow()).isEqualTo(beforeSeen);
            assertThat(seen.response().get("data")).isEqualTo(data);
        }
    }

    private static JobResult answer(JobClient client, Job job) throws Exception {
        JobResult result = client.submit(job, Priority.HIGH).get(1, TimeUnit.MINUTES);
        assertThat(result.status()).as("job %s", job.id()).isEqualTo(JobStatus.SUCCEEDED);
        return result;
    }

    private static Job chat(String id, double temperature, Boolean cache) {
        Job job = Job.chat(id, "What is the capital of France?");
        job.request().put("temperature", temperature);
        return job.toBuilder().cache(cache).build();
    }

    private static Job embedding(String id, List<String> inputs, Boolean cache) {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        ArrayNode input = request.putArray("input");
        inputs.forEach(input::add);
        return Job.builder(id)
                .kind(JobKind.EMBEDDING)
                .request(request)
                .cache(cache)
                .build();
    }

    private static long callsFor(Simulator simulator, String jobId) {
        return simulator.calls().all().stream()
                .filter(c -> jobId.equals(c.jobId())
                        && c.path().startsWith("/v1/")
                        && !c.path().equals("/v1/models"))
                .count();
    }

    private static List<String> inputsSent(Simulator simulator, String jobId) {
        List<CallLog.Call> calls = simulator.calls().all().stream()
                .filter(c -> jobId.equals(c.jobId()) && c.path().equals("/v1/embeddings"))
                .toList();
        assertThat(calls).as("embeddings calls of %s", jobId).hasSize(1);
        return calls.get(0).inputs();
    }
}
