package dev.llmdispatch.worker.consume;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets of each owned partition are finished, and the commit that says so.
 *
 * <p>Jobs finish out of order. A partition's committed position is its lowest unfinished offset, so a later success
 * never hides an earlier loss; the offsets finished above it travel in the commit's metadata, as a bitset (bit i: the
 * offset position + i is finished), deflated and base64-encoded, the way Confluent's parallel-consumer does. A new
 * owner reads it back ({@link #seed}) and skips those offsets instead of doing them again. The span a commit can
 * describe is bounded ({@link #MAX_SPAN}): a partition whose lowest unfinished job lags that far behind is paused
 * ({@link #spanFull}) until it finishes.
 *
 * <p>Used by the consumer thread only.
 */
final class OffsetLedger {

    /**
     * The most offsets a commit's metadata describes above its position: 20,000 bits are 2,500 bytes, 3,400 base64
     * characters even when they do not deflate, inside the broker's default {@code offset.metadata.max.bytes} (4,096).
     */
    static final int MAX_SPAN = 20_000;

    static final String PREFIX = "llmd1:";

    private static final class Partition {
        /** Polled (or handed to a job) and not finished. */
        final TreeSet<Long> unfinished = new TreeSet<>();
        /** Finished by an earlier owner above its committed position, and not yet polled here. */
        final TreeSet<Long> doneBefore = new TreeSet<>();
        /** One past the highest offset polled; -1 before the first. */
        long next = -1;
        /** The committed position, from the last commit or the one found on assignment; -1 if none. */
        long base = -1;

        OffsetAndMetadata committed;
    }

    private final Map<TopicPartition, Partition> partitions = new HashMap<>();

    /**
     * A partition was assigned; {@code committed} is its committed offset (null if none): the offsets its metadata
     * names as finished are skipped when polled.
     */
    void seed(TopicPartition tp, OffsetAndMetadata committed) {
        Partition p = new Partition();
        partitions.put(tp, p);
        if (committed != null) {
            p.base = committed.offset();
            p.committed = committed;
            p.doneBefore.addAll(decode(committed.offset(), committed.metadata()));
        }
    }

    /**
     * A record was polled. Returns false when an earlier owner finished it already (its commit said so): the record
     * is skipped, and counts as finished.
     */
    boolean started(TopicPartition tp, long offset) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        p.next = Math.max(p.next, offset + 1);
        if (p.doneBefore.remove(offset) || offset < p.base) {
            return false;
        }
        p.unfinished.add(offset);
        return true;
    }

    /**
     * The consumer's position on a partition after a poll: every offset below it was returned by a poll (and passed to
     * {@link #started}) or holds nothing a poll returns (a transaction's commit or abort marker, an aborted record).
     * Those are passed, so that the partition's commit goes past them: the marker a transactional producer writes
     * after its last record (the emergency replay's, a producer's that enqueues in transactions) is not counted as lag
     * for ever. Spring Kafka's {@code fixTxOffsets} does the same.
     */
    void polledUpTo(TopicPartition tp, long position) {
        Partition p = partitions.get(tp);
        if (p != null && position > Math.max(p.next, p.base)) {
            p.next = position;
        }
    }

    /** A job's outcome is written (or about to be, in the transaction that commits this). */
    void finished(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p != null) {
            p.unfinished.remove(offset);
        }
    }

    /** Undoes {@link #finished}: the transaction that was to write the job's outcome was aborted. */
    void unfinished(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p != null && offset >= p.base && offset < p.next) {
            p.unfinished.add(offset);
        }
    }

    /**
     * Whether a commit can say that this offset is finished: it lies within {@link #MAX_SPAN} of the partition's lowest
     * unfinished offset. An outcome beyond waits (uncommitted) until the partition catches up.
     */
    boolean describable(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        return p == null || p.unfinished.isEmpty() || offset < p.unfinished.first() + MAX_SPAN;
    }

    /** Whether the offsets finished above this partition's lowest unfinished one fill what a commit can describe. */
    boolean spanFull(TopicPartition tp) {
        Partition p = partitions.get(tp);
        return p != null && !p.unfinished.isEmpty() && end(p) - p.unfinished.first() >= MAX_SPAN;
    }

    /** Commits that would say something new, for every tracked partition: position and finished offsets above it. */
    Map<TopicPartition, OffsetAndMetadata> changed() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        partitions.forEach((tp, p) -> {
            OffsetAndMetadata now = commit(p);
            if (now != null && !now.equals(p.committed)) {
                out.put(tp, now);
            }
        });
        return out;
    }

    /** These commits went through. */
    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, om) -> {
            Partition p = partitions.get(tp);
            if (p != null) {
                p.committed = om;
                p.base = Math.max(p.base, om.offset());
            }
        });
    }

    /** The commit of each given partition that this ledger tracks. */
    Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> tps) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : tps) {
            Partition p = partitions.get(tp);
            OffsetAndMetadata om = p == null ? null : commit(p);
            if (om != null) {
                out.put(tp, om);
            }
        }
        return out;
    }

    /** Forgets partitions this consumer no longer owns. */
    void forget(Collection<TopicPartition> revoked) {
        revoked.forEach(partitions::remove);
    }

    boolean tracks(TopicPartition tp) {
        return partitions.containsKey(tp);
    }

    /** One past the highest offset known: polled here, or finished by an earlier owner. */
    private static long end(Partition p) {
        long end = p.next;
        if (!p.doneBefore.isEmpty()) {
            end = Math.max(end, p.doneBefore.last() + 1);
        }
        return end;
    }

    private static OffsetAndMetadata commit(Partition p) {
        if (p.next < 0) {
            return null; // nothing polled yet: the committed offset stands
        }
        long position = p.unfinished.isEmpty() ? p.next : p.unfinished.first();
        // offsets an earlier owner finished below what is polled here are passed; above it they still count
        p.doneBefore.headSet(position).clear();
        long end = Math.min(end(p), position + MAX_SPAN);
        if (position >= end) {
            return new OffsetAndMetadata(position);
        }
        BitSet done = new BitSet((int) (end - position));
        for (long o = position; o < end; o++) {
            boolean finished = o < p.next ? !p.unfinished.contains(o) : p.doneBefore.contains(o);
            if (finished) {
                done.set((int) (o - position));
            }
        }
        return new OffsetAndMetadata(position, encode(done));
    }

    static String encode(BitSet done) {
        if (done.isEmpty()) {
            return "";
        }
        byte[] raw = done.toByteArray();
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        deflater.setInput(raw);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 4 + 16);
        byte[] chunk = new byte[1024];
        while (!deflater.finished()) {
            out.write(chunk, 0, deflater.deflate(chunk));
        }
        deflater.end();
        return PREFIX + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** The offsets a commit's metadata names as finished; none when it names none or is not ours. */
    static TreeSet<Long> decode(long position, String metadata) {
        TreeSet<Long> done = new TreeSet<>();
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return done;
        }
        try {
            byte[] deflated = Base64.getDecoder().decode(metadata.substring(PREFIX.length()));
            Inflater inflater = new Inflater();
            inflater.setInput(deflated);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(chunk, 0, n);
                if (out.size() > MAX_SPAN / 8 + 1) {
                    break;
                }
            }
            inflater.end();
            BitSet bits = BitSet.valueOf(out.toByteArray());
            for (int i = bits.nextSetBit(0); i >= 0 && i < MAX_SPAN; i = bits.nextSetBit(i + 1)) {
                done.add(position + i);
            }
        } catch (IllegalArgumentException | DataFormatException e) {
            // not readable: nothing is skipped, the jobs run again (their stored outcomes answer them)
            done.clear();
        }
        return done;
    }
}
