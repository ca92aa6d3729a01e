package dev.llmdispatch.worker.consume;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets of each partition are finished. Jobs finish out of order; the committable position of a
 * partition is its lowest unfinished offset, so a later success never hides an earlier loss. Used by the
 * consumer thread only.
 */
final class OffsetLedger {

    private static final class Partition {
        final TreeSet<Long> unfinished = new TreeSet<>();
        long next = -1;
        long committed = -1;
        long maxFinished = -1;
    }

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();

    void started(TopicPartition tp, long offset) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        p.unfinished.add(offset);
        p.next = Math.max(p.next, offset + 1);
    }

    void finished(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p != null) {
            p.unfinished.remove(offset);
            p.maxFinished = Math.max(p.maxFinished, offset);
        }
    }

    /** The highest finished offset of a partition, or -1. */
    long maxFinished(TopicPartition tp) {
        Partition p = partitions.get(tp);
        return p == null ? -1 : p.maxFinished;
    }

    /** A commit did not go through: its positions are offered again by the next {@link #takeCommittable}. */
    void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, om) -> {
            Partition p = partitions.get(tp);
            if (p != null && p.committed == om.offset()) {
                p.committed = -1;
            }
        });
    }

    /** Positions that moved since the last commit, and marks them committed. */
    Map<TopicPartition, OffsetAndMetadata> takeCommittable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        partitions.forEach((tp, p) -> {
            long position = p.unfinished.isEmpty() ? p.next : p.unfinished.first();
            if (position > p.committed) {
                out.put(tp, new OffsetAndMetadata(position));
                p.committed = position;
            }
        });
        return out;
    }

    /** The committable position of each given partition that this ledger tracks. */
    Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> tps) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : tps) {
            Partition p = partitions.get(tp);
            if (p != null && p.next >= 0) {
                out.put(tp, new OffsetAndMetadata(p.unfinished.isEmpty() ? p.next : p.unfinished.first()));
            }
        }
        return out;
    }

    /** Forgets partitions this consumer no longer owns. */
    void forget(Collection<TopicPartition> revoked) {
        revoked.forEach(partitions::remove);
    }

    int unfinished() {
        return partitions.values().stream().mapToInt(p -> p.unfinished.size()).sum();
    }
}
