package dev.llmdispatch.worker.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.WorkerHarness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Hole 7 of issue 22: the replay of {@code EMERGENCY} dead letters ran on the one worker that lowered the flag, and
 * kept its marks in Redis. Shown failing first: with its marks gone (Redis restarted empty), the next recovery put
 * all 6 jobs back again (12 job records for 6 dead letters). Now every worker reads the dead letters in one consumer
 * group and replays each batch in a transaction with the group's offsets, so the marks live in Kafka beside them.
 */
@IntegrationTest
class EmergencyReplayTest {

    private static final AccountBlocks NONE_BLOCKED = new AccountBlocks() {
        @Override
        public Map<String, AccountBlock> all() {
            return Map.of();
        }

        @Override
        public Optional<AccountBlock> blocked(String account) {
            return Optional.empty();
        }

        @Override
        public boolean isBlocked(String account) {
            return false;
        }
    };

    @Test
    void each_emergency_dead_letter_goes_back_once_through_a_worker_gone_and_a_worker_restarted(Infrastructure infra)
            throws Exception {
        String ns = "replay-once";
        Topics topics = WorkerHarness.topics(ns);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
            admin.createTopics(List.of(
                            new NewTopic(topics.deadLetter(), Optional.of(3), Optional.empty()),
                            new NewTopic(topics.jobTopic(Priority.HIGH), Optional.of(3), Optional.empty())
                                    .configs(Map.of("max.message.bytes", "20000")),
                            new NewTopic(topics.jobTopic(Priority.MEDIUM), Optional.of(3), Optional.empty())))
                    .all()
                    .get();
            AtomicBoolean emergency = new AtomicBoolean(true);
            EmergencyReplay gone = replayer(infra, topics, ns, emergency);
            EmergencyReplay stays = replayer(infra, topics, ns, emergency);
            // both in the group, each with its partitions and their start committed, before any dead letter is written
            WorkerHarness.awaitGroup(admin, ns + "-emergency-replay", 2);
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> admin.listConsumerGroupOffsets(ns + "-emergency-replay")
                                    .partitionsToOffsetAndMetadata()
                                    .get()
                                    .size()
                            == 3);
            try {
                try (KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra)) {
                    for (int i = 0; i < 12; i++) {
                        DeadLetterReason reason =
                                i % 3 == 2 ? DeadLetterReason.ALL_PROVIDERS_FAILED : DeadLetterReason.EMERGENCY;
                        send(
                                producer,
                                topics,
                                "job-" + i,
                                deadLetter(reason, "job-" + i, i % 2 == 0 ? Priority.HIGH : null));
                    }
                    // a job too large for its topic (a topic's limit lowered since): Kafka refuses it, it is passed
                    // over, named in the log, and the dead letters behind it go back
                    Job big = Job.chat("job-big", "x".repeat(30_000));
                    send(
                            producer,
                            topics,
                            "job-big",
                            DeadLetter.builder(DeadLetterReason.EMERGENCY, "down")
                                    .job(JobCodec.toTree(big))
                                    .priority(Priority.HIGH)
                                    .failedAt(Instant.now())
                                    .build());
                    // not a dead letter at all: passed over, and the replay goes on
                    producer.send(new ProducerRecord<>(
                                    topics.deadLetter(), "junk", "{not json".getBytes(StandardCharsets.UTF_8)))
                            .get();
                }
                await().during(Duration.ofSeconds(2))
                        .atMost(Duration.ofSeconds(4))
                        .until(() -> jobRecords(infra, topics).isEmpty()); // nothing while emergency mode is on

                gone.close(); // a worker gone while emergency mode is on: its partitions move to the other
                emergency.set(false);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> jobRecords(infra, topics).size() >= 8);
                Map<String, Long> perJob = jobRecords(infra, topics).stream()
                        .collect(Collectors.groupingBy(
                                r -> new String(r.key(), StandardCharsets.UTF_8), Collectors.counting()));
                assertThat(perJob)
                        .as("the 8 EMERGENCY jobs, once each; the ALL_PROVIDERS_FAILED ones wait for ops")
                        .containsOnlyKeys("job-0", "job-1", "job-3", "job-4", "job-6", "job-7", "job-9", "job-10")
                        .allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));
                assertThat(stays.replayed()).isEqualTo(8);
                Map<String, Integer> where = jobRecords(infra, topics).stream()
                        .collect(Collectors.toMap(
                                r -> new String(r.key(), StandardCharsets.UTF_8),
                                r -> Integer.parseInt(new String(
                                        r.headers()
                                                .lastHeader(RecordHeaders.REPLAY_COUNT)
                                                .value(),
                                        StandardCharsets.UTF_8))));
                assertThat(where).allSatisfy((id, count) -> assertThat(count).isEqualTo(1));
                assertThat(WorkerHarness.readAll(infra, topics.jobTopic(Priority.HIGH)))
                        .as("each on its own priority's topic")
                        .hasSize(4);
            } finally {
                stays.close();
            }

            // every worker restarted (nothing kept in memory or in Redis): the group's offsets in Kafka say all is
            // replayed; a flag raised and lowered again puts nothing back twice
            emergency.set(true);
            try (EmergencyReplay restarted = replayer(infra, topics, ns, emergency)) {
                WorkerHarness.awaitGroup(admin, ns + "-emergency-replay", 1);
                emergency.set(false);
                try (KafkaProducer<String, byte[]> producer = WorkerHarness.rawProducer(infra)) {
                    send(producer, topics, "job-late", deadLetter(DeadLetterReason.EMERGENCY, "job-late", null));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> restarted.replayed() == 1);
                await().during(Duration.ofSeconds(2))
                        .atMost(Duration.ofSeconds(4))
                        .until(() -> jobRecords(infra, topics).size() == 9);
            }
        }
    }

    private static EmergencyReplay replayer(Infrastructure infra, Topics topics, String ns, AtomicBoolean emergency) {
        EmergencyReplay replay = new EmergencyReplay(
                Map.of("bootstrap.servers", infra.bootstrapServers()),
                topics,
                ns + "-emergency-replay",
                ns + "-tx-",
                emergency::get,
                NONE_BLOCKED,
                Duration.ofSeconds(5),
                Duration.ofMillis(100));
        replay.start();
        return replay;
    }

    private static DeadLetter deadLetter(DeadLetterReason reason, String id, Priority priority) {
        return DeadLetter.builder(reason, "every provider is down")
                .job(JobCodec.toTree(Job.chat(id, "question " + id)))
                .priority(priority)
                .failedAt(Instant.now())
                .build();
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, String key, DeadLetter d)
            throws Exception {
        producer.send(new ProducerRecord<>(topics.deadLetter(), key, JobCodec.toBytes(d)))
                .get();
    }

    private static List<ConsumerRecord<byte[], byte[]>> jobRecords(Infrastructure infra, Topics topics) {
        return topics.jobTopics().stream()
                .flatMap(t -> WorkerHarness.readAll(infra, t).stream())
                .toList();
    }
}
