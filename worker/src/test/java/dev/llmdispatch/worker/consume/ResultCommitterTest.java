package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The committer's bookkeeping against Kafka's own transactional {@link MockProducer}: outcomes and offsets go in one
 * transaction; a record that can never be written is replaced by its fallback and the rest still go; a commit whose
 * outcome is unknown is finished, not redone; an aborted one is tried again, once. (The real broker is in the
 * integration tests.)
 */
class ResultCommitterTest {

    private static final TopicPartition HIGH0 = new TopicPartition("llm.jobs.high", 0);
    private static final TopicPartition HIGH1 = new TopicPartition("llm.jobs.high", 1);
    private static final ConsumerGroupMetadata GROUP = new ConsumerGroupMetadata("workers");

    /**
     * A producer that may not write to topic "forbidden" (refused at once), and finds no topic "gone" (its write times
     * out waiting for metadata, and the transaction cannot commit), as Kafka's producer does.
     */
    private static final class Producer extends MockProducer<String, byte[]> {
        private boolean failedSend;

        Producer() {
            super(true, null, new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
            if (record.topic().equals("forbidden")) {
                throw new TopicAuthorizationException("not authorised to write to forbidden");
            }
            if (record.topic().equals("gone")) {
                failedSend = true;
                return CompletableFuture.failedFuture(
                        new TimeoutException("Topic gone not present in metadata after 5000 ms."));
            }
            return super.send(record, callback);
        }

        @Override
        public void beginTransaction() {
            failedSend = false;
            super.beginTransaction();
        }

        @Override
        public void commitTransaction() {
            if (failedSend) {
                throw new KafkaException("cannot commit: a send in the transaction failed");
            }
            super.commitTransaction();
        }
    }

    private final Producer producer = new Producer();
    /** The current assignment of the partitions here (one number for all, in this test). */
    private final AtomicLong ownership = new AtomicLong();

    private final OffsetLedger ledger = new OffsetLedger();
    private final List<PolledJob> fellBack = new ArrayList<>();
    private final ResultCommitter committer = new ResultCommitter(
            () -> producer,
            ledger,
            Duration.ofMillis(20),
            (work, e) -> {
                fellBack.add(work);
                return List.of(new ProducerRecord<>(
                        "llm.jobs.dlt", "undeliverable-" + work.record().offset(), new byte[0]));
            },
            w -> ledger.tracks(w.partition()) && w.ownership() == ownership.get(),
            topic -> topic.equals("gone") ? "topic gone does not exist" : null);

    private PolledJob work(TopicPartition tp, long offset) {
        return new PolledJob(
                new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, new byte[0]),
                Priority.HIGH,
                ownership.get());
    }

    private Finished ended(TopicPartition tp, long offset, String topic) {
        ledger.started(tp, offset);
        return new Finished(
                work(tp, offset), List.of(new ProducerRecord<>(topic, "job-" + offset, new byte[0])), false);
    }

    @Test
    void outcomes_and_their_offsets_go_in_one_transaction() {
        ledger.seed(HIGH0, null);
        ledger.seed(HIGH1, null);
        Finished a = ended(HIGH0, 0, "llm.results");
        ledger.started(HIGH0, 1); // still running
        Finished b = ended(HIGH0, 2, "llm.results");
        Finished c = ended(HIGH1, 7, "llm.results");
        committer.add(a);
        committer.add(b);
        committer.add(c);

        assertThat(committer.commit(() -> GROUP, true)).isTrue();

        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("job-0", "job-2", "job-7");
        Map<TopicPartition, OffsetAndMetadata> offsets =
                producer.consumerGroupOffsetsHistory().getFirst().get("workers");
        assertThat(offsets.get(HIGH0).offset()).as("the lowest unfinished").isEqualTo(1);
        assertThat(OffsetLedger.decode(1, offsets.get(HIGH0).metadata())).containsExactly(2L);
        assertThat(offsets.get(HIGH1).offset()).isEqualTo(8);
        assertThat(committer.commit(() -> GROUP, true))
                .as("nothing new: no transaction")
                .isTrue();
        assertThat(producer.commitCount()).isEqualTo(1);
    }

    @Test
    void an_outcome_that_can_never_be_written_is_replaced_by_its_fallback_and_the_others_still_go() {
        ledger.seed(HIGH0, null);
        committer.add(ended(HIGH0, 0, "llm.results"));
        committer.add(ended(HIGH0, 1, "forbidden"));
        committer.add(ended(HIGH0, 2, "llm.results"));

        committer.commit(() -> GROUP, true);
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(fellBack).extracting(w -> w.record().offset()).containsExactly(1L);
        // tried again at once: the fallback is a verdict, not a fault to back off from
        assertThat(committer.commit(() -> GROUP, true)).isTrue();

        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history())
                .extracting(ProducerRecord::key)
                .containsExactly("job-0", "undeliverable-1", "job-2");
        assertThat(producer.consumerGroupOffsetsHistory()
                        .getLast()
                        .get("workers")
                        .get(HIGH0)
                        .offset())
                .isEqualTo(3);
    }

    @Test
    void a_write_that_timed_out_on_a_topic_the_broker_says_is_gone_falls_back_and_the_others_go() {
        ledger.seed(HIGH0, null);
        committer.add(ended(HIGH0, 0, "gone"));
        committer.add(ended(HIGH0, 1, "llm.results"));

        committer.commit(() -> GROUP, true);
        assertThat(committer.commit(() -> GROUP, true)).isTrue();

        assertThat(fellBack).extracting(w -> w.record().offset()).containsExactly(0L);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("undeliverable-0", "job-1");
    }

    @Test
    void an_outcome_too_far_ahead_of_the_oldest_running_job_waits_until_a_commit_can_describe_it() {
        ledger.seed(HIGH0, null);
        ledger.started(HIGH0, 0); // runs for a long time
        for (long o = 1; o < OffsetLedger.MAX_SPAN; o++) {
            ledger.started(HIGH0, o);
        }
        Finished far = ended(HIGH0, OffsetLedger.MAX_SPAN + 5, "llm.results");
        committer.add(far);
        committer.commit(() -> GROUP, true);
        assertThat(producer.history()).isEmpty();
        assertThat(committer.pending()).isEqualTo(1);

        ledger.finished(HIGH0, 0); // the old job is done (its own outcome committed elsewhere in this test)
        for (long o = 1; o < OffsetLedger.MAX_SPAN; o++) {
            ledger.finished(HIGH0, o);
        }
        assertThat(committer.commit(() -> GROUP, true)).isTrue();
        assertThat(producer.history())
                .extracting(ProducerRecord::key)
                .containsExactly("job-" + (OffsetLedger.MAX_SPAN + 5));
    }

    @Test
    void an_outcome_of_an_earlier_assignment_of_its_partition_is_never_written() {
        ledger.seed(HIGH0, null);
        committer.add(ended(HIGH0, 0, "llm.results"));
        producer.commitTransactionException = new TimeoutException("broker away");
        committer.commit(() -> GROUP, true);
        // meanwhile the partition went and came back (a new assignment: the old outcome belongs to none), then the
        // broker aborted the transaction that timed out
        ledger.forget(List.of(HIGH0));
        ledger.seed(HIGH0, null);
        ownership.incrementAndGet();
        producer.commitTransactionException = new KafkaException("transaction aborted by the broker");
        await().atMost(Duration.ofSeconds(5)).until(() -> committer.commit(() -> GROUP, true));
        producer.commitTransactionException = null;
        committer.commit(() -> GROUP, true);
        assertThat(producer.history())
                .as("the new owner of offset 0 answers it")
                .isEmpty();
    }

    @Test
    void a_commit_that_timed_out_is_finished_later_not_redone() {
        ledger.seed(HIGH0, null);
        committer.add(ended(HIGH0, 0, "llm.results"));
        producer.commitTransactionException = new TimeoutException("broker away");

        assertThat(committer.commit(() -> GROUP, true)).isFalse();
        committer.add(ended(HIGH0, 1, "llm.results"));
        producer.commitTransactionException = null;
        await().atMost(Duration.ofSeconds(5)).until(() -> committer.commit(() -> GROUP, true));

        // the first transaction was completed as it was, the second job went in a transaction of its own
        assertThat(producer.commitCount()).isEqualTo(2);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("job-0", "job-1");
        assertThat(producer.consumerGroupOffsetsHistory())
                .extracting(m -> m.get("workers").get(HIGH0).offset())
                .containsExactly(1L, 2L);
    }

    @Test
    void an_aborted_transaction_is_tried_again_once_and_a_fenced_producer_is_replaced() {
        List<Producer> made = new ArrayList<>();
        ResultCommitter fresh = new ResultCommitter(
                () -> {
                    Producer p = new Producer();
                    made.add(p);
                    return p;
                },
                ledger,
                Duration.ofMillis(20),
                (w, e) -> List.of(),
                w -> true,
                topic -> null);
        ledger.seed(HIGH0, null);
        fresh.add(ended(HIGH0, 0, "llm.results"));
        fresh.commit(() -> GROUP, true); // first producer, committed
        made.getFirst().commitTransactionException = new KafkaException("coordinator moved");
        made.getFirst().abortTransactionException = new KafkaException("producer fenced");
        fresh.add(ended(HIGH0, 1, "llm.results"));

        assertThat(fresh.commit(() -> GROUP, true)).isFalse();
        assertThat(made.getFirst().closed()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> fresh.commit(() -> GROUP, true));

        assertThat(made).hasSize(2);
        assertThat(made.get(1).history()).extracting(ProducerRecord::key).containsExactly("job-1");
        assertThat(made.get(1)
                        .consumerGroupOffsetsHistory()
                        .getLast()
                        .get("workers")
                        .get(HIGH0)
                        .offset())
                .isEqualTo(2);
    }

    @Test
    void outcomes_of_partitions_given_up_are_left_to_their_next_owner() {
        ledger.seed(HIGH0, null);
        ledger.seed(HIGH1, null);
        committer.add(ended(HIGH0, 0, "llm.results"));
        committer.add(ended(HIGH1, 0, "llm.results"));
        committer.forget(List.of(HIGH1));
        ledger.forget(List.of(HIGH1));

        committer.commit(() -> GROUP, true);
        assertThat(producer.history()).hasSize(1);
        assertThat(producer.consumerGroupOffsetsHistory().getFirst().get("workers"))
                .containsOnlyKeys(HIGH0);
    }
}
