package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.api.FleetState;
import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.client.EmergencyException;
import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.consume.PriorityConsumer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Every provider down, two workers: emergency mode everywhere, only probes reach the providers, no job is lost, and
 * producers are told (a fail-fast client fails at once, {@code POST /api/jobs} answers 503); on recovery the queue
 * drains by itself and the {@code EMERGENCY} dead letters are replayed by themselves; replaying the rest answers each
 * of them once.
 */
@IntegrationTest
class EmergencyAndReplayTest {

    private static final int JOBS = 60;
    private static final String[] FAST_HEALTH = {
        "--dispatch.health.probe-interval=500ms", "--dispatch.health.check-interval=200ms",
        "--dispatch.resilience.recovery-wait=500ms", "--dispatch.resilience.backoff-initial=20ms",
        "--dispatch.resilience.backoff-max=100ms", "--dispatch.consumer.max-in-flight=8"
    };

    @Test
    void survives_every_provider_down_and_replays_what_failed(Infrastructure infra) throws Exception {
        String ns = "emergency";
        Topics topics = WorkerHarness.topics(ns);
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(20)));
                WorkerHarness.Fleet fleet = WorkerHarness.startFleet(infra, ns, simulator.baseUrl(), 2, FAST_HEALTH);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build();
                Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
            simulator.inject(Fault.of("*", "down", 1.0));
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                jobs.add(
                        i % 6 == 5
                                ? Job.embedding(
                                        "dark-" + i, "text " + i) // each its own: none answered by the response cache
                                : Job.chat("dark-" + i, "question " + i).toBuilder()
                                        .tier(Tier.values()[i % 3])
                                        .build());
            }
            client.submitAll(jobs, Priority.MEDIUM);

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> fleet.get(0).getBean(Emergency.class).active()
                            && fleet.get(1).getBean(Emergency.class).active());
            // consumption paused everywhere: after the jobs already under way, only health probes reach providers
            long mark = simulator.calls().all().stream()
                    .mapToLong(CallLog.Call::seq)
                    .max()
                    .orElse(0);
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            simulator.calls().since(mark).stream().anyMatch(c -> !AccountFailuresTest.isJobCall(c)));
            long quiet = simulator.calls().all().stream()
                    .mapToLong(CallLog.Call::seq)
                    .max()
                    .orElse(0);
            await().during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> simulator.calls().since(quiet).stream().noneMatch(AccountFailuresTest::isJobCall));
            // the probes are real completions that keep failing (GET /models would answer): emergency mode holds,
            // and each down account sees at most one probe per probe interval across the fleet (fewer as they back off)
            long probesFrom = simulator.calls().all().stream()
                    .mapToLong(CallLog.Call::seq)
                    .max()
                    .orElse(0);
            long spanStart = System.currentTimeMillis();
            await().during(Duration.ofSeconds(4))
                    .atMost(Duration.ofSeconds(6))
                    .until(() -> fleet.get(0).getBean(Emergency.class).active()
                            && fleet.get(1).getBean(Emergency.class).active());
            long span = System.currentTimeMillis() - spanStart;
            Map<String, Long> probes = simulator.calls().since(probesFrom).stream()
                    .filter(c -> c.account() != null)
                    .collect(Collectors.groupingBy(CallLog.Call::account, Collectors.counting()));
            assertThat(probes).isNotEmpty();
            assertThat(probes.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(span / 500 + 1));

            // nothing lost: every job has a terminal result or is still waiting, uncommitted, in Kafka; what
            // failed is exactly what went to the dead-letter topic
            Set<String> failed = new HashSet<>();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Set<String> answered = resultIds(infra, topics, null);
                assertThat(answered.size() + lag(admin, ns, topics)).isEqualTo(JOBS);
                Set<String> failedNow = WorkerHarness.readAll(infra, topics.results()).stream()
                        .map(r -> JobCodec.readResult(r.value()))
                        .filter(r -> !r.succeeded())
                        .map(JobResult::id)
                        .collect(Collectors.toSet());
                List<DeadLetters.Entry> dead;
                try (DeadLetters dlq = new DeadLetters(infra.bootstrapServers(), topics)) {
                    dead = dlq.list(DeadLetters.Filter.ALL);
                }
                assertThat(dead)
                        .isNotEmpty()
                        .allSatisfy(d -> assertThat(d.deadLetter().reason())
                                .isIn(DeadLetterReason.EMERGENCY, DeadLetterReason.ALL_PROVIDERS_FAILED));
                assertThat(dead.stream().map(DeadLetters.Entry::jobId).collect(Collectors.toSet()))
                        .isEqualTo(failedNow);
                failed.clear();
                failed.addAll(failedNow);
            });
            assertThat(WorkerHarness.readAll(infra, topics.results()).stream()
                            .map(r -> JobCodec.readResult(r.value()))
                            .filter(r -> r.error() != null)
                            .map(r -> r.error().code())
                            .distinct()
                            .toList())
                    .isSubsetOf(ErrorCode.EMERGENCY, ErrorCode.ALL_PROVIDERS_FAILED);

            Set<String> emergencyIds;
            try (DeadLetters dlq = new DeadLetters(infra.bootstrapServers(), topics)) {
                emergencyIds = dlq.list(DeadLetters.Filter.ALL).stream()
                        .filter(d -> d.deadLetter().reason() == DeadLetterReason.EMERGENCY)
                        .map(DeadLetters.Entry::jobId)
                        .collect(Collectors.toSet());
            }
            assertThat(emergencyIds)
                    .as("jobs under way when emergency mode began")
                    .isNotEmpty();

            // producers are told: a client that asks fails at once, without sending; the HTTP way in answers 503
            try (JobClient failFast = JobClient.builder(infra.bootstrapServers())
                    .topics(topics)
                    .failFastInEmergency(true)
                    .build()) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() ->
                                failFast.fleetState().map(FleetState::emergency).orElse(false));
                CompletableFuture<JobResult> refused = failFast.submit(Job.chat("ff-1", "anyone?"), Priority.HIGH);
                // refused in the call itself, not after a wait
                assertThat(refused).isCompletedExceptionally();
                assertThatThrownBy(refused::join)
                        .hasCauseInstanceOf(EmergencyException.class)
                        .hasMessageContaining("every provider is down");
            }
            HttpResponse<String> unavailable = HttpClient.newHttpClient()
                    .send(
                            WorkerHarness.keyed("http://127.0.0.1:"
                                            + fleet.get(0).getEnvironment().getProperty("local.server.port")
                                            + "/api/jobs")
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            JobCodec.toJson(Job.chat("http-1", "anyone?"))))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(unavailable.headers().firstValue("Retry-After"))
                    .hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isBetween(1L, 300L));
            assertThat(unavailable.body()).contains("Every provider is down");
            // probes: out of readiness (take no traffic), still alive (do not restart it)
            String base = "http://127.0.0.1:" + fleet.get(0).getEnvironment().getProperty("local.server.port");
            assertThat(probe(base + "/actuator/health/readiness")).isEqualTo(503);
            assertThat(probe(base + "/actuator/health/liveness")).isEqualTo(200);
            // the alert's runbook opens from the worker, with no credential; nothing else is reached that way
            assertThat(fetch(base + "/runbooks/emergency"))
                    .startsWith("# Emergency mode")
                    .contains("dlq list --reason EMERGENCY");
            assertThat(fetch(base + "/runbooks")).contains("[emergency](emergency.md)");
            assertThat(probe(base + "/runbooks/no-such-page")).isEqualTo(404);
            assertThat(probe(base + "/runbooks/..%2F..%2Fapplication.yml")).isIn(400, 404);
            assertThat(probe(base + "/admin/status")).isEqualTo(401);

            // recovery, one account first, as probes find them: the embeddings account comes back while the chat
            // accounts are still down. The flag comes down with the first; the EMERGENCY dead letters must not be
            // replayed into the outage that remains (their jobs would fail again as ALL_PROVIDERS_FAILED and wait for
            // ops: seen once in CI, when the chat accounts' probes were backing off)
            for (String chat : List.of("nvidia-1", "nvidia-2", "hunyuan-1")) {
                simulator.inject(Fault.of(chat, "down", 1.0));
            }
            simulator.clearFaults("*");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !fleet.get(0).getBean(Emergency.class).active()
                            && !fleet.get(1).getBean(Emergency.class).active());
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> WorkerHarness.readAll(infra, topics.results()).stream()
                            .map(r -> JobCodec.readResult(r.value()))
                            .filter(r -> emergencyIds.contains(r.id()) && r.error() != null)
                            .noneMatch(r -> r.error().code() == ErrorCode.ALL_PROVIDERS_FAILED));
            // then the rest: the probes find them healthy, the queue drains by itself, and the EMERGENCY dead letters
            // are replayed by themselves, each once
            simulator.clearFaults(null);
            await().atMost(Duration.ofSeconds(10)).until(() -> probe(base + "/actuator/health/readiness") == 200);
            try {
                await().atMost(Duration.ofSeconds(60))
                        .until(() ->
                                resultIds(infra, topics, JobStatus.SUCCEEDED).containsAll(emergencyIds)
                                        && lag(admin, ns, topics) == 0);
            } catch (ConditionTimeoutException e) {
                // seen once (2026-12-07): neither worker took a job for 60 s after the flag came down; say why
                System.out.println(stalled(infra, topics, admin, ns, emergencyIds, fleet));
                throw e;
            }

            // what failed otherwise waits for ops: what failed before, and the jobs that left Kafka while the chat
            // accounts were still down (a partial outage: they waited for a probe, then failed), but no EMERGENCY job
            Set<String> otherwise;
            try (DeadLetters dlq = new DeadLetters(infra.bootstrapServers(), topics)) {
                otherwise = dlq
                        .list(new DeadLetters.Filter(
                                null, Set.of(DeadLetterReason.ALL_PROVIDERS_FAILED), null, null, null))
                        .stream()
                        .map(DeadLetters.Entry::jobId)
                        .collect(Collectors.toSet());
            }
            Set<String> failedBefore = new HashSet<>(failed);
            failedBefore.removeAll(emergencyIds);
            assertThat(otherwise).containsAll(failedBefore).doesNotContainAnyElementsOf(emergencyIds);
            DeadLetters.Report report;
            try (DeadLetters dlq = new DeadLetters(infra.bootstrapServers(), topics)) {
                report = dlq.replay(
                        new DeadLetters.Filter(null, Set.of(DeadLetterReason.ALL_PROVIDERS_FAILED), null, null, null),
                        false,
                        null);
            }
            assertThat(report.replayed()).containsExactlyInAnyOrderElementsOf(otherwise);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> resultIds(infra, topics, JobStatus.SUCCEEDED).size() == JOBS);
            Map<String, Long> succeededPerJob = WorkerHarness.readAll(infra, topics.results()).stream()
                    .map(r -> JobCodec.readResult(r.value()))
                    .filter(JobResult::succeeded)
                    .collect(Collectors.groupingBy(JobResult::id, Collectors.counting()));
            assertThat(succeededPerJob)
                    .hasSize(JOBS)
                    .allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));

            // replaying again is idempotent: the stored answers come back, no provider is called for them
            long before = simulator.calls().all().stream()
                    .filter(AccountFailuresTest::isJobCall)
                    .count();
            Set<String> deadLettered = new HashSet<>(emergencyIds); // every job that has a dead letter, once each
            deadLettered.addAll(otherwise);
            try (DeadLetters dlq = new DeadLetters(infra.bootstrapServers(), topics)) {
                dlq.replay(DeadLetters.Filter.ALL, false, null);
            }
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> WorkerHarness.readAll(infra, topics.results()).stream()
                                    .map(r -> JobCodec.readResult(r.value()))
                                    .filter(JobResult::cached)
                                    .count()
                            == deadLettered.size());
            assertThat(simulator.calls().all().stream()
                            .filter(AccountFailuresTest::isJobCall)
                            .count())
                    .isEqualTo(before);
        }
    }

    private static Set<String> resultIds(Infrastructure infra, Topics topics, JobStatus status) {
        return WorkerHarness.readAll(infra, topics.results()).stream()
                .map(r -> JobCodec.readResult(r.value()))
                .filter(r -> status == null || r.status() == status)
                .map(JobResult::id)
                .collect(Collectors.toSet());
    }

    /** Job records not yet committed by the workers' group. */
    private static long lag(Admin admin, String ns, Topics topics) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(ns + "-workers")
                .partitionsToOffsetAndMetadata()
                .get();
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        for (String topic : topics.jobTopics()) {
            for (int p = 0; p < topics.partitions(); p++) {
                ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        }
        long lag = 0;
        for (var e : admin.listOffsets(ends).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            lag += e.getValue().offset() - (c == null ? 0 : c.offset());
        }
        return lag;
    }

    /** What the fleet looks like when recovery stalls: what each replayed job got, lag, buffers, threads. */
    private static String stalled(
            Infrastructure infra,
            Topics topics,
            Admin admin,
            String ns,
            Set<String> emergencyIds,
            WorkerHarness.Fleet fleet) {
        StringBuilder out = new StringBuilder("recovery stalled:\n");
        try {
            Map<String, List<String>> statuses = new TreeMap<>();
            WorkerHarness.readAll(infra, topics.results()).stream()
                    .map(r -> JobCodec.readResult(r.value()))
                    .filter(r -> emergencyIds.contains(r.id()))
                    .forEach(r -> statuses.computeIfAbsent(r.id(), k -> new ArrayList<>())
                            .add(r.status()
                                    + (r.error() == null ? "" : " " + r.error().code())));
            out.append("  results of the replayed jobs: ").append(statuses).append('\n');
            out.append("  lag: ").append(lag(admin, ns, topics)).append('\n');
        } catch (Exception e) {
            out.append("  (results or lag unreadable: ").append(e).append(")\n");
        }
        for (int i = 0; i < 2; i++) {
            PriorityConsumer consumer = fleet.get(i).getBean(PriorityConsumer.class);
            out.append("  worker ").append(i).append(": in flight ").append(consumer.inFlight());
            for (Priority p : Priority.values()) {
                out.append(", buffered ").append(p).append(' ').append(consumer.buffered(p));
            }
            out.append('\n');
        }
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().startsWith("job-") || t.getName().contains("consumer")) {
                out.append("  thread ").append(t.getName()).append(' ').append(t.getState());
                if (stack.length > 0) {
                    out.append(" at ").append(stack[0]);
                }
                out.append('\n');
            }
        });
        return out.toString();
    }

    /** The body of an open page, which must answer 200. */
    private static String fetch(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> page =
                    http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).as(url).isEqualTo(200);
            return page.body();
        }
    }

    /** The status of a probe endpoint (open without a credential). */
    private static int probe(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
    }
}
