package dev.llmdispatch.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.JobDispatcher;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.capacity.InMemoryCapacityStore;
import dev.llmdispatch.dispatch.internal.provider.ProviderClient;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import dev.llmdispatch.dispatch.internal.provider.WriteGate;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Cooldowns;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.dispatch.spi.BlockStore;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The HTTP side of a provider call, against real HTTP (the simulator with the default accounts): the send check the
 * JDK client asks at the last moment, and the dispatcher's requests and answers as a provider sees them. Capacity
 * and blocks are in memory; the dispatcher's rules are {@link JobDispatcherTest}'s, on providers in memory.
 */
@IntegrationTest
class ProviderClientTest {

    private static final ResilienceSettings RESILIENCE = new ResilienceSettings(
            3,
            Duration.ofMillis(20),
            Duration.ofMillis(100),
            Duration.ofSeconds(5),
            null,
            null,
            null,
            5,
            null,
            Duration.ofSeconds(2));

    private Simulator simulator;
    private ProviderClient client;
    private CapacityGate gate;
    private Cooldowns cooldowns;
    private JobDispatcher dispatcher;

    @BeforeEach
    void start() {
        simulator = Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.NONE));
        DispatchSettings settings = TestSettings.settings(TestSettings.defaultProviders(simulator.baseUrl()));
        client = new ProviderClient();
        cooldowns = new Cooldowns(BlockStore.inMemory(), Clock.systemUTC());
        gate = new CapacityGate(
                        new InMemoryCapacityStore(Clock.systemUTC()),
                        settings,
                        TestSettings.capacity(),
                        Clock.systemUTC(),
                        cooldowns)
                .start();
        AccountHealth health = new AccountHealth(RESILIENCE, cooldowns, HealthEvents.NONE);
        dispatcher = JobDispatcher.builder(new RoutePlanner(settings), client, gate, health, RESILIENCE)
                .build();
    }

    @AfterEach
    void stop() {
        gate.close();
        cooldowns.close();
        client.close();
        simulator.close();
    }

    @Test
    void sends_tier_1_to_nvidia_with_its_model_and_thinking_flags() throws Exception {
        DispatchOutcome outcome = dispatcher.dispatch(
                Job.chat("t1", "prove it").toBuilder().thinking(true).build(), Priority.MEDIUM);
        assertThat(outcome.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(outcome.tier()).isEqualTo(Tier.TIER_1);
        assertThat(outcome.account()).isEqualTo("nvidia-1");
        assertThat(outcome.model()).isEqualTo("deepseek-ai/deepseek-v3.1");
        // the simulator reasons only when the request carries NVIDIA's thinking flag
        assertThat(outcome.response()
                        .path("choices")
                        .get(0)
                        .path("message")
                        .path("reasoning_content")
                        .asString())
                .isNotEmpty();
        assertThat(simulator.calls().all())
                .singleElement()
                .extracting(CallLog.Call::jobId)
                .isEqualTo("t1");
    }

    @Test
    void a_request_is_let_go_at_the_last_moment_and_its_leaving_is_told_once() {
        List<String> events = new CopyOnWriteArrayList<>();
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        ProviderReply sent = client.post(
                simulator.baseUrl(),
                "chat/completions",
                "sim-hunyuan-1",
                body,
                "gate-1",
                Duration.ofSeconds(5),
                new WriteGate() {
                    @Override
                    public boolean mayWrite() {
                        events.add("asked");
                        return true;
                    }

                    @Override
                    public void left() {
                        events.add("left");
                    }
                });
        assertThat(sent.status()).isEqualTo(200);
        assertThat(events).containsExactly("asked", "left");
        events.clear();
        ProviderReply held = client.post(
                simulator.baseUrl(),
                "chat/completions",
                "sim-hunyuan-1",
                body,
                "gate-2",
                Duration.ofSeconds(5),
                new WriteGate() {
                    @Override
                    public boolean mayWrite() {
                        events.add("asked");
                        return false;
                    }

                    @Override
                    public void left() {
                        events.add("left");
                    }
                });
        assertThat(held.heldBack()).isTrue();
        assertThat(events).containsExactly("asked");
        assertThat(simulator.calls().all()).hasSize(1); // the held-back request never reached the provider
    }

    @Test
    void never_puts_the_api_key_in_an_outcome() throws Exception {
        simulator.inject(Fault.status("hunyuan-1", 401));
        simulator.inject(Fault.of("nvidia-1", "down", 1.0));
        simulator.inject(Fault.of("nvidia-2", "flaky", 1.0));
        DispatchOutcome outcome = dispatcher.dispatch(Job.chat("k1", "hi"), Priority.MEDIUM);
        assertThat(outcome.status()).isEqualTo(JobStatus.FAILED);
        assertThat(outcome.attempts()).isNotEmpty();
        assertThat(outcome.toString()).doesNotContain("sim-hunyuan-1", "sim-nvidia-1", "sim-nvidia-2");
    }

    @Test
    void a_body_that_stalls_after_its_headers_ends_the_call_at_its_timeout() throws Exception {
        // headers and the first bytes come, then nothing for 30 s: the call must end at its 1 s timeout, not hang
        simulator.inject(Fault.stall("hunyuan-1", 30_000));
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ProviderReply> whole = pool.submit(() -> client.post(
                    simulator.baseUrl(),
                    "chat/completions",
                    "sim-hunyuan-1",
                    body,
                    "stall-1",
                    Duration.ofSeconds(1),
                    WriteGate.ALWAYS));
            ObjectNode streamed = body.deepCopy().put("stream", true);
            List<String> chunks = new CopyOnWriteArrayList<>();
            Future<ProviderReply> stream = pool.submit(() -> client.post(
                    simulator.baseUrl(),
                    "chat/completions",
                    "sim-hunyuan-1",
                    streamed,
                    "stall-2",
                    Duration.ofSeconds(1),
                    WriteGate.ALWAYS,
                    chunk -> chunks.add(chunk.toString())));

            // a hung call fails here, well before the stall ends
            for (ProviderReply reply : List.of(whole.get(10, TimeUnit.SECONDS), stream.get(10, TimeUnit.SECONDS))) {
                assertThat(reply.answered()).isFalse();
                assertThat(reply.transportError()).isEqualTo("timeout after PT1S");
                assertThat(reply.mayStillRun())
                        .as("the provider may still be generating")
                        .isTrue();
            }
            assertThat(chunks)
                    .as("the stream's first chunk came before the stall")
                    .hasSize(1);
        }
    }
}
