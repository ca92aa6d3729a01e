package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Tenants over three worker processes, jobs put on Kafka directly (no HTTP ingress). Fair share inside a priority: one
 * tenant's 10,000 LOW jobs queued ahead of another tenant's 10 LOW jobs; the 10 start within a few service times (the
 * provider's latency), not after the flood. A tenant with 2 requests a day gets 2 of its 4 jobs answered and 2
 * dead-lettered {@code BUDGET_SPENT}, to replay tomorrow (a minute's budget: {@link MinuteBudgetTest}).
 */
@IntegrationTest
class FairShareTest {

    private static final int FLOOD = 10_000;
    private static final long SERVICE_MS = 1000;

    @Test
    void a_flood_delays_another_tenant_by_a_few_service_times_and_kafka_jobs_keep_their_tenants_budgets(
            Infrastructure infra) throws Exception {
        String ns = "fair";
        Topics topics = WorkerHarness.topics(ns);
        List<Process> workers = new ArrayList<>();
        try (Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(SERVICE_MS)));
                KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra);
                JobClient client = JobClient.builder(infra.bootstrapServers())
                        .topics(topics)
                        .build();
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers()))) {
            for (int i = 0; i < 3; i++) {
                workers.add(WorkerHarness.startWorkerProcess(
                        "fair-worker-" + i,
                        WorkerHarness.workerArgs(
                                infra,
                                ns,
                                simulator.baseUrl(),
                                "--dispatch.consumer.shutdown-timeout=1s",
                                "--dispatch.tenants.daily.requests-per-day=2")));
            }
            WorkerHarness.awaitGroup(admin, ns + "-workers", 3);

            // the flood, by a plain Kafka producer: the tenant only in the job's JSON
            for (int i = 0; i < FLOOD; i++) {
                Job job = Job.chat("flood-" + i, "question " + i).toBuilder()
                        .tier(Tier.TIER_2)
                        .tenant("batch")
                        .build();
                producer.send(new ProducerRecord<>(topics.low(), job.id(), JobCodec.toBytes(job)));
            }
            producer.flush();
            // the fleet is busy with it: every account's in-flight limit in use
            await().atMost(Duration.ofSeconds(90)).until(() -> calls(simulator, "flood-") >= 40);

            long submitted = System.currentTimeMillis();
            List<CompletableFuture<JobResult>> small = client.submitAll(jobs("apps", 10), Priority.LOW);
            List<CompletableFuture<JobResult>> daily = client.submitAll(jobs("daily", 4), Priority.LOW);

            // fair share: the 10 start within a few service times of their submission. Each worker's 64 places for
            // jobs in flight are held by the flood's jobs, most of them waiting for capacity; the apps tenant's jobs
            // start beside them (its share of the places) and reach the capacity gate at once, where the tenants take
            // turns at the fleet's 15 grants a second. (Had they to wait for the flood's jobs to end one by one, a
            // worker with 4 of them would start them over seconds: up to 5.9 s in one CI run. Without fair share at
            // all they would wait for the flood: 10,000 / 15 a second, 11 minutes.)
            CompletableFuture.allOf(small.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            assertThat(small).allSatisfy(r -> assertThat(r.join().succeeded()).isTrue());
            Map<String, Long> started = simulator.calls().all().stream()
                    .filter(c -> c.jobId() != null && c.jobId().startsWith("apps-"))
                    .collect(Collectors.toMap(CallLog.Call::jobId, CallLog.Call::atMillis, Math::min));
            assertThat(started).hasSize(10);
            System.out.println("apps' jobs at the provider, ms after submission: "
                    + started.values().stream()
                            .map(at -> at - submitted)
                            .sorted()
                            .toList());
            assertThat(calls(simulator, "flood-"))
                    .as("flood calls so far: most of it still queued")
                    .isLessThan(FLOOD / 4);
            assertThat(started.values())
                    .as("ms from submission to the provider, per job of the other tenant")
                    .allSatisfy(at -> assertThat(at - submitted).isLessThanOrEqualTo(5 * SERVICE_MS));

            // a day's budget: 2 answered, 2 dead-lettered as BUDGET_SPENT without a provider call
            CompletableFuture.allOf(daily.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            assertThat(daily.stream().map(f -> f.join().status()))
                    .containsExactlyInAnyOrder(
                            JobStatus.SUCCEEDED, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.FAILED);
            assertThat(daily.stream().map(CompletableFuture::join).filter(r -> !r.succeeded()))
                    .allSatisfy(r -> {
                        assertThat(r.error().code()).isEqualTo(ErrorCode.BUDGET_SPENT);
                        assertThat(r.error().message()).contains("daily", "requests-per-day", "replay");
                    });
            assertThat(calls(simulator, "daily-")).isEqualTo(2);

            // one result per job, and the day's refusals dead-lettered (records counted)
            Map<String, Long> results = WorkerHarness.readAll(infra, topics.results()).stream()
                    .map(r -> JobCodec.readResult(r.value()).id())
                    .filter(id -> !id.startsWith("flood-"))
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(results).hasSize(10 + 4);
            assertThat(results.values()).allMatch(n -> n == 1);
            List<DeadLetterReason> deadLetters = WorkerHarness.readAll(infra, topics.deadLetter()).stream()
                    .map(r -> JobCodec.readDeadLetter(r.value()).reason())
                    .toList();
            assertThat(deadLetters).containsExactly(DeadLetterReason.BUDGET_SPENT, DeadLetterReason.BUDGET_SPENT);
        } finally {
            for (Process worker : workers) {
                worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    static List<Job> jobs(String tenant, int n) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(Job.chat(tenant + "-" + i, "a question").toBuilder()
                    .tier(Tier.TIER_2)
                    .tenant(tenant)
                    .build());
        }
        return jobs;
    }

    static long calls(Simulator simulator, String prefix) {
        return simulator.calls().all().stream()
                .filter(c -> c.jobId() != null && c.jobId().startsWith(prefix))
                .count();
    }
}
