package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetLedgerTest {

    private final TopicPartition tp = new TopicPartition("llm.jobs.high", 0);

    @Test
    void commits_the_lowest_unfinished_offset_with_the_finished_ones_above_it() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.seed(tp, null);
        for (long o = 10; o < 15; o++) {
            assertThat(ledger.started(tp, o)).isTrue();
        }
        ledger.finished(tp, 11);
        ledger.finished(tp, 13);
        OffsetAndMetadata commit = ledger.changed().get(tp);
        assertThat(commit.offset()).isEqualTo(10);
        assertThat(OffsetLedger.decode(commit.offset(), commit.metadata())).containsExactly(11L, 13L);
        ledger.committed(Map.of(tp, commit));
        assertThat(ledger.changed()).as("nothing new to say").isEmpty();

        ledger.finished(tp, 10);
        ledger.finished(tp, 12);
        commit = ledger.changed().get(tp);
        assertThat(commit.offset()).isEqualTo(14);
        assertThat(commit.metadata()).isEmpty();
        ledger.committed(Map.of(tp, commit));

        ledger.finished(tp, 14);
        assertThat(ledger.changed().get(tp).offset()).isEqualTo(15);
    }

    @Test
    void a_transactions_marker_after_the_last_job_is_passed_so_it_is_not_lag_for_ever() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.seed(tp, new OffsetAndMetadata(10));
        ledger.polledUpTo(tp, 10); // assigned, nothing new
        assertThat(ledger.changed()).isEmpty();
        assertThat(ledger.started(tp, 10)).isTrue();
        assertThat(ledger.started(tp, 11)).isTrue();
        ledger.polledUpTo(tp, 13); // offset 12: the commit marker of the transaction that wrote 10 and 11
        ledger.finished(tp, 11);
        assertThat(ledger.changed().get(tp).offset()).as("10 still runs").isEqualTo(10);
        ledger.finished(tp, 10);
        assertThat(ledger.changed().get(tp).offset()).isEqualTo(13);
        ledger.committed(ledger.changed());

        ledger.polledUpTo(tp, 12); // a position behind what is known changes nothing
        assertThat(ledger.changed()).isEmpty();
        assertThat(ledger.started(tp, 13)).isTrue();
        ledger.polledUpTo(tp, 14);
        assertThat(ledger.changed()).as("13 still runs: nothing new to commit").isEmpty();
        ledger.finished(tp, 13);
        assertThat(ledger.changed().get(tp).offset()).isEqualTo(14);
    }

    @Test
    void a_new_owner_skips_what_the_last_one_finished_and_keeps_saying_so_until_it_is_passed() {
        OffsetLedger first = new OffsetLedger();
        first.seed(tp, new OffsetAndMetadata(100));
        for (long o = 100; o < 110; o++) {
            first.started(tp, o);
        }
        List.of(101L, 102L, 105L, 109L).forEach(o -> first.finished(tp, o));
        OffsetAndMetadata handedOver = first.positions(List.of(tp)).get(tp);
        assertThat(handedOver.offset()).isEqualTo(100);

        OffsetLedger next = new OffsetLedger();
        next.seed(tp, handedOver);
        List<Long> run = new ArrayList<>();
        // the next owner polls only up to 104 at first: 105 and 109 must survive its commits
        for (long o = 100; o < 105; o++) {
            if (next.started(tp, o)) {
                run.add(o);
            }
        }
        assertThat(run).containsExactly(100L, 103L, 104L);
        next.finished(tp, 100);
        OffsetAndMetadata commit = next.changed().get(tp);
        assertThat(commit.offset()).isEqualTo(103);
        assertThat(OffsetLedger.decode(commit.offset(), commit.metadata())).containsExactly(105L, 109L);

        next.finished(tp, 103);
        next.finished(tp, 104);
        commit = next.changed().get(tp);
        assertThat(commit.offset()).as("nothing polled above 104 yet").isEqualTo(105);
        assertThat(OffsetLedger.decode(commit.offset(), commit.metadata())).containsExactly(105L, 109L);
        for (long o = 105; o < 111; o++) {
            if (next.started(tp, o)) {
                run.add(o);
            }
        }
        assertThat(run).containsExactly(100L, 103L, 104L, 106L, 107L, 108L, 110L);
    }

    @Test
    void an_aborted_transaction_undoes_its_finished_offsets() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.seed(tp, null);
        ledger.started(tp, 0);
        ledger.started(tp, 1);
        ledger.finished(tp, 0);
        assertThat(ledger.changed().get(tp).offset()).isEqualTo(1);
        ledger.unfinished(tp, 0);
        assertThat(ledger.changed().get(tp).offset()).isZero();
    }

    @Test
    void a_job_far_behind_the_others_fills_the_span_a_commit_can_describe() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.seed(tp, null);
        ledger.started(tp, 0);
        for (long o = 1; o <= OffsetLedger.MAX_SPAN; o++) {
            ledger.started(tp, o);
            ledger.finished(tp, o);
        }
        assertThat(ledger.spanFull(tp)).isTrue();
        OffsetAndMetadata commit = ledger.changed().get(tp);
        assertThat(commit.offset()).isZero();
        assertThat(commit.metadata().length())
                .as("fits the broker's offset.metadata.max.bytes")
                .isLessThan(4096);
        assertThat(OffsetLedger.decode(0, commit.metadata())).hasSize(OffsetLedger.MAX_SPAN - 1);
        ledger.finished(tp, 0);
        assertThat(ledger.spanFull(tp)).isFalse();
    }

    @Test
    void metadata_it_did_not_write_skips_nothing() {
        assertThat(OffsetLedger.decode(5, "written by someone else")).isEmpty();
        assertThat(OffsetLedger.decode(5, OffsetLedger.PREFIX + "not base64 !")).isEmpty();
        assertThat(OffsetLedger.decode(5, null)).isEmpty();
    }

    @Test
    void forgets_revoked_partitions() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.seed(tp, null);
        ledger.started(tp, 0);
        ledger.forget(List.of(tp));
        ledger.finished(tp, 0);
        assertThat(ledger.changed()).isEmpty();
        assertThat(ledger.tracks(tp)).isFalse();
    }
}
