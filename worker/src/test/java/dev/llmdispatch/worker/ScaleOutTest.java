package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.simulator.CallLog;
import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.Fault;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Two more workers join while every account is busy with long calls and more jobs wait in the first two workers: the
 * partitions move, the running calls end where they started, the waiting jobs run on their new owners, and every job
 * gets one result and one provider call. Counts only, and its workers mostly wait on the provider: it runs beside the
 * other tests (see {@code junit-platform.properties}), its workers at the normal CPU priority (the join must happen
 * while the first calls run).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class ScaleOutTest {

    /**
     * The first calls' length: longer than a joining worker takes to start and join the group here (15 s alone, about
     * 17 to 26 s beside the other tests, printed by each run). The calls made after the move are short.
     */
    private static final long LONG_CALL_MS = 60_000;

    private static int inFlight(Simulator simulator) {
        return simulator.stats().values().stream()
                .mapToInt(account -> ((Number) account.get("inFlight")).intValue())
                .sum();
    }

    @Test
    void a_scale_out_while_long_calls_run_moves_no_call_and_no_result(Infrastructure infra) throws Exception {
        int jobs = 24;
        String ns = "scaleout";
        Topics topics = WorkerHarness.topics(ns);
        List<Process> workers = new ArrayList<>();
        try (Simulator simulator =
                        Simulator.start(SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(200)));
                Admin admin =
                        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.bootstrapServers()))) {
            List<String> args = new ArrayList<>(WorkerHarness.workerArgs(infra, ns, simulator.baseUrl()));
            // the first calls take a minute: the providers' timeout must allow them
            args.replaceAll(
                    a -> a.matches("--dispatch\\.providers\\.\\w+\\.timeout=.*") ? a.replaceFirst("=.*", "=90s") : a);
            for (int i = 0; i < 2; i++) {
                workers.add(WorkerHarness.startWorkerProcess("scaleout-worker-" + i, args));
            }
            WorkerHarness.awaitGroup(admin, ns + "-workers", 2);
            simulator.inject(Fault.slow("*", LONG_CALL_MS));
            try (KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra)) {
                for (int i = 0; i < jobs; i++) {
                    Job job = Job.chat("long-" + i, "question " + i).toBuilder()
                            .tier(Tier.TIER_2)
                            .build();
                    producer.send(new ProducerRecord<>(topics.medium(), job.id(), JobCodec.toBytes(job)));
                }
                producer.flush();
            }
            // every account busy with long calls (5 + 5 + 5 in flight at the provider), the rest waiting in the
            // workers: two more workers join. (The simulator logs a call when it ends: in flight is what it holds now.)
            await().atMost(Duration.ofSeconds(60)).until(() -> inFlight(simulator) == 15);
            long busySince = System.currentTimeMillis();
            for (int i = 2; i < 4; i++) {
                workers.add(WorkerHarness.startWorkerProcess("scaleout-worker-" + i, args));
            }
            // the new workers join while the first calls still run (the test is about a real move: the partitions
            // move once the calls under way on them have ended, see HandoverTest)
            await().atMost(Duration.ofSeconds(LONG_CALL_MS / 1000))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> admin.describeConsumerGroups(List.of(ns + "-workers"))
                                    .all()
                                    .get()
                                    .get(ns + "-workers")
                                    .members()
                                    .size()
                            == 4);
            long joinedAfter = System.currentTimeMillis() - busySince;
            System.out.printf("four workers in the group %d ms after the accounts were full%n", joinedAfter);
            assertThat(inFlight(simulator))
                    .as(
                            "calls in flight when four workers are in the group, %d ms after the accounts were full",
                            joinedAfter)
                    .isEqualTo(15);
            assertThat(ExactlyOnceTest.jobCalls(simulator))
                    .as("calls ended by then")
                    .isEmpty();
            // what is sent from now on is quick: the jobs still waiting run on their new owners
            simulator.clearFaults(null);

            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(2))
                    .ignoreExceptions()
                    .until(() -> ExactlyOnceTest.answered(infra, topics).size() == jobs
                            && ExactlyOnceTest.allCommitted(admin, ns, topics));

            // the new workers took partitions
            WorkerHarness.awaitGroup(admin, ns + "-workers", 4);

            Map<String, List<JobResult>> results = ExactlyOnceTest.answered(infra, topics);
            assertThat(results.values())
                    .allSatisfy(r -> assertThat(r)
                            .singleElement()
                            .satisfies(x -> assertThat(x.status()).isEqualTo(JobStatus.SUCCEEDED)));
            Map<String, Long> callsPerJob = ExactlyOnceTest.jobCalls(simulator).stream()
                    .collect(Collectors.groupingBy(CallLog.Call::jobId, Collectors.counting()));
            assertThat(callsPerJob).hasSize(jobs);
            assertThat(callsPerJob.values()).as("calls per job").allMatch(n -> n == 1);
        } finally {
            workers.forEach(Process::destroyForcibly);
        }
    }
}
