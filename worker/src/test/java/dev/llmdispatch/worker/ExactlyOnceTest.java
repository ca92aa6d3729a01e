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
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import dev.llmdispatch.testkit.BrokerProcess;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Exactly one visible result per job, and one provider call, whatever happens to the workers and the broker: separate
 * worker processes, a broker in a process of its own (so that it can be killed), the simulator counting every call at
 * arrival. Results are read as a reader must read them ({@code read_committed}) and records are counted, not ids.
 * Counts only: it runs beside the other tests, its workers at a lower CPU priority (see
 * {@code junit-platform.properties}).
 */
@IntegrationTest
@Execution(ExecutionMode.CONCURRENT)
class ExactlyOnceTest {

    private static final String[] FAST_FAILOVER = {
        "--spring.kafka.consumer.properties.session.timeout.ms=6000",
        "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000"
    };

    @Test
    void a_flood_through_a_killed_worker_a_joining_one_and_a_broker_restart_gives_one_result_per_job(
            Infrastructure infra) throws Exception {
        int jobs = 800;
        long latencyMs = 150;
        String ns = "once";
        Topics topics = WorkerHarness.topics(ns);
        List<Process> workers = new ArrayList<>();
        try (BrokerProcess broker = BrokerProcess.start();
                Simulator simulator = Simulator.start(
                        SimulatorConfig.of(DefaultAccounts.accounts(0.1), LatencyModel.fixed(latencyMs)))) {
            Infrastructure own = new Infrastructure(broker.bootstrapServers(), infra.redisUrl());
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                for (int i = 0; i < 3; i++) {
                    workers.add(WorkerHarness.startWorkerProcess(
                            "once-worker-" + i,
                            WorkerHarness.workerArgs(own, ns, simulator.baseUrl(), FAST_FAILOVER),
                            true));
                }
                WorkerHarness.awaitGroup(admin, ns + "-workers", 3);
                try (KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(own)) {
                    for (int i = 0; i < jobs; i++) {
                        Tier tier = i % 10 == 0 ? Tier.TIER_1 : i % 2 == 0 ? Tier.TIER_2 : Tier.TIER_3;
                        Job job = Job.chat("once-" + i, "question " + i).toBuilder()
                                .tier(tier)
                                .build();
                        String topic = i % 3 == 0 ? topics.high() : i % 3 == 1 ? topics.medium() : topics.low();
                        producer.send(new ProducerRecord<>(topic, job.id(), JobCodec.toBytes(job)));
                    }
                    producer.flush();
                }

                // a worker dies in the middle of the flood, a fresh one joins
                await().atMost(Duration.ofMinutes(2))
                        .until(() -> jobCalls(simulator).size() > jobs / 4);
                workers.get(0).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                long killedAt = System.currentTimeMillis();
                workers.add(WorkerHarness.startWorkerProcess(
                        "once-worker-3", WorkerHarness.workerArgs(own, ns, simulator.baseUrl(), FAST_FAILOVER), true));

                // later the broker dies too; the workers go on with the jobs they hold, then it comes back
                await().atMost(Duration.ofMinutes(2))
                        .until(() -> jobCalls(simulator).size() > jobs / 2);
                broker.kill();
                int atBrokerKill = jobCalls(simulator).size();
                await().atMost(Duration.ofMinutes(1))
                        .until(() -> jobCalls(simulator).size() > atBrokerKill + 20);
                broker.restart();

                // every job answered and every job offset committed: nothing is left to be written twice
                await().atMost(Duration.ofMinutes(5))
                        .pollInterval(Duration.ofSeconds(2))
                        .ignoreExceptions()
                        .until(() -> answered(own, topics).size() == jobs && allCommitted(admin, ns, topics));

                Map<String, List<JobResult>> results = answered(own, topics);
                List<String> twice = results.entrySet().stream()
                        .filter(e -> e.getValue().size() != 1)
                        .map(e -> e.getKey() + "="
                                + e.getValue().stream().map(JobResult::status).toList())
                        .toList();
                assertThat(twice).as("jobs with other than one result record").isEmpty();
                assertThat(results.values().stream().mapToInt(List::size).sum()).isEqualTo(jobs);
                assertThat(results.values())
                        .allSatisfy(r -> assertThat(r.getFirst().status()).isEqualTo(JobStatus.SUCCEEDED));

                // a job is called twice only if its first call was made by the killed worker (which died before the
                // outcome was stored): each worker names its process in the calls' User-Agent
                String killed = "pid " + workers.get(0).pid() + ")";
                // calls the provider served (a call refused by a limit did no work; FleetFaultsTest is about those)
                Map<String, List<CallLog.Call>> calls = jobCalls(simulator).stream()
                        .filter(c -> c.outcome().equals(CallLog.OK))
                        .collect(Collectors.groupingBy(CallLog.Call::jobId));
                List<String> calledTwice = calls.entrySet().stream()
                        .filter(e -> e.getValue().size() > 1)
                        .map(Map.Entry::getKey)
                        .toList();
                System.out.printf(
                        "%d jobs, %d calls (%d refused by a limit); called twice:%n",
                        jobs,
                        jobCalls(simulator).size(),
                        jobCalls(simulator).stream()
                                .filter(c -> !c.outcome().equals(CallLog.OK))
                                .count());
                calledTwice.forEach(id -> System.out.printf(
                        "  %s: %s%n",
                        id,
                        calls.get(id).stream()
                                .map(c -> c.account()
                                        + " at " + (c.atMillis() - killedAt) + " ms from the kill, " + c.latencyMs()
                                        + " ms, by "
                                        + c.client())
                                .toList()));
                assertThat(calls).hasSize(jobs);
                assertThat(calledTwice).allSatisfy(id -> {
                    List<CallLog.Call> these = calls.get(id);
                    assertThat(these).hasSize(2);
                    assertThat(these.getFirst().client()).endsWith(killed);
                });
            }
        } finally {
            workers.forEach(Process::destroyForcibly);
        }
    }

    static List<CallLog.Call> jobCalls(Simulator simulator) {
        return simulator.calls().all().stream()
                .filter(AccountFailuresTest::isJobCall)
                .toList();
    }

    /** Result records by job id, as a {@code read_committed} reader sees them. */
    static Map<String, List<JobResult>> answered(Infrastructure infra, Topics topics) {
        return WorkerHarness.readAll(infra, topics.results()).stream()
                .map(r -> JobCodec.readResult(r.value()))
                .collect(Collectors.groupingBy(
                        JobResult::id, Collectors.mapping(Function.identity(), Collectors.toList())));
    }

    /** The workers' group has committed every job record (its committed offsets are the topics' ends). */
    static boolean allCommitted(Admin admin, String ns, Topics topics) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(ns + "-workers")
                .partitionsToOffsetAndMetadata()
                .get();
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (String topic : topics.jobTopics()) {
            for (int p = 0; p < topics.partitions(); p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        }
        return admin.listOffsets(request).all().get().entrySet().stream().allMatch(e -> {
            OffsetAndMetadata c = committed.get(e.getKey());
            return e.getValue().offset() == 0
                    || (c != null && c.offset() >= e.getValue().offset());
        });
    }
}
