package dev.llmdispatch.worker.consume;

import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A job that ended: with the records of its outcome (none for an outcome that need not be written), or unfinished
 * ({@code records == null}: stopped before it had an outcome; it runs again here or on the partition's next owner).
 *
 * @param fallback whether these records are already the last resort (an UNDELIVERABLE dead letter)
 */
record Finished(PolledJob work, List<ProducerRecord<String, byte[]>> records, boolean fallback) {

    static Finished unfinished(PolledJob work) {
        return new Finished(work, null, false);
    }

    boolean done() {
        return records != null;
    }
}
