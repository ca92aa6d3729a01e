package dev.llmdispatch.worker.consume;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A job that ended: with the records of its outcome (none for an outcome that need not be written), or unfinished
 * ({@code records == null}: stopped before it had an outcome; it runs again here or on the partition's next owner).
 *
 * @param fallback whether these records are already the last resort (an UNDELIVERABLE dead letter)
 * @param hold     for an unfinished job whose tenant spent a budget: how long the tenant's jobs wait here (else null)
 */
record Finished(PolledJob work, List<ProducerRecord<String, byte[]>> records, boolean fallback, Duration hold) {

    Finished(PolledJob work, List<ProducerRecord<String, byte[]>> records, boolean fallback) {
        this(work, records, fallback, null);
    }

    static Finished unfinished(PolledJob work) {
        return new Finished(work, null, false);
    }

    /** Unfinished: its tenant's jobs wait {@code hold} for a budget to renew. */
    static Finished held(PolledJob work, Duration hold) {
        return new Finished(work, null, false, hold);
    }

    boolean done() {
        return records != null;
    }
}
