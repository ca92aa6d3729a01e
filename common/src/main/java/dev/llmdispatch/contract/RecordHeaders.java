package dev.llmdispatch.contract;

/** Kafka header names of the contract. */
public final class RecordHeaders {
    /** Copied from a job record onto its result record (Spring's ReplyingKafkaTemplate uses it). */
    public static final String CORRELATION_ID = "kafka_correlationId";
    /** Set on every result and dead-letter record. */
    public static final String JOB_ID = "job-id";
    /** How many times a job was replayed from the dead-letter topic. */
    public static final String REPLAY_COUNT = "replay-count";

    /** On a job record: the job's {@code tenant}, so that a worker can share fairly without reading the value. */
    public static final String TENANT = "tenant";

    private RecordHeaders() {}
}
