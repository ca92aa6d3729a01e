package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetLedgerTest {

    private final TopicPartition tp = new TopicPartition("llm.jobs.high", 0);

    @Test
    void commits_only_below_the_lowest_unfinished_offset() {
        OffsetLedger ledger = new OffsetLedger();
        for (long o = 10; o < 15; o++) {
            ledger.started(tp, o);
        }
        ledger.finished(tp, 11);
        ledger.finished(tp, 12);
        assertThat(ledger.takeCommittable().get(tp).offset()).isEqualTo(10);

        ledger.finished(tp, 10);
        assertThat(ledger.takeCommittable().get(tp).offset()).isEqualTo(13);
        assertThat(ledger.takeCommittable()).isEmpty();

        ledger.finished(tp, 14);
        ledger.finished(tp, 13);
        assertThat(ledger.takeCommittable().get(tp).offset()).isEqualTo(15);
        assertThat(ledger.unfinished()).isZero();
    }

    @Test
    void gives_positions_for_revoked_partitions_and_forgets_them() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.started(tp, 0);
        ledger.started(tp, 1);
        ledger.finished(tp, 1);
        assertThat(ledger.positions(List.of(tp)).get(tp).offset()).isZero();
        ledger.forget(List.of(tp));
        ledger.finished(tp, 0);
        assertThat(ledger.takeCommittable()).isEmpty();
    }
}
