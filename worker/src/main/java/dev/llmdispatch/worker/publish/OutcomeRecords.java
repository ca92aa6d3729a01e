package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;

/**
 * The records a job's outcome is written as: its result on the reply topic and, when it failed for good, a dead
 * letter. They are written by the consumer's transactions (see {@code ResultCommitter}), together with the offsets
 * of the jobs they answer.
 */
public final class OutcomeRecords {

    /** What a dead letter keeps of a record too large to keep whole. */
    public static final int RAW_KEEP_BYTES = 256 * 1024;
    /** Room kept in a record for its key, headers and the batch around it. */
    private static final int RECORD_OVERHEAD_BYTES = 16 * 1024;

    private final Topics topics;
    private final int maxValueBytes;

    /** @param maxRequestBytes the producer's {@code max.request.size}: no record value may come near it */
    public OutcomeRecords(Topics topics, int maxRequestBytes) {
        this.topics = topics;
        this.maxValueBytes = maxRequestBytes - RECORD_OVERHEAD_BYTES;
    }

    /** The largest record value written (a larger result or dead letter must be cut down first). */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /** A result on {@code topic}, keyed by job id, with the job's correlation id echoed. */
    public ProducerRecord<String, byte[]> result(String topic, JobResult result, byte[] correlationId) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, result.id(), JobCodec.toBytes(result));
        record.headers().add(RecordHeaders.JOB_ID, result.id().getBytes(StandardCharsets.UTF_8));
        if (correlationId != null) {
            record.headers().add(RecordHeaders.CORRELATION_ID, correlationId);
        }
        return record;
    }

    /** A dead letter, keyed by job id (null when the job could not be read). */
    public ProducerRecord<String, byte[]> deadLetter(String jobId, DeadLetter deadLetter) {
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topics.deadLetter(), jobId, JobCodec.toBytes(deadLetter));
        if (jobId != null) {
            record.headers().add(RecordHeaders.JOB_ID, jobId.getBytes(StandardCharsets.UTF_8));
        }
        record.headers()
                .add(
                        RecordHeaders.REPLAY_COUNT,
                        Integer.toString(deadLetter.replayCount()).getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /**
     * Whether writing a record again cannot succeed: it is too large, cannot be serialised, or this worker may not
     * write to its topic. Anything else (the broker away, a leader moving, a timeout) may heal; whether a topic exists
     * at all is for {@link ReplyTopics} to say.
     */
    public static boolean permanent(Throwable e) {
        return e instanceof RecordTooLargeException
                || e instanceof RecordBatchTooLargeException
                || e instanceof SerializationException
                || e instanceof AuthorizationException
                || e instanceof InvalidTopicException;
    }

    /**
     * The result as it can be written: one larger than a record may be (a huge embedding batch, say) becomes a FAILED
     * result saying so, with both sizes; nothing else of it changes.
     */
    public JobResult fitting(JobResult r) {
        int size = JobCodec.toBytes(r).length;
        if (size <= maxValueBytes) {
            return r;
        }
        return r.toBuilder()
                .status(JobStatus.FAILED)
                .response(null)
                .error(new JobResult.JobError(
                        ErrorCode.RESULT_TOO_LARGE,
                        "the answer of " + r.account()
                                + " made a result of " + size + " bytes, more than the " + maxValueBytes
                                + " a result record may have (the producer's max.request.size): it was not delivered",
                        false))
                .build();
    }

    /**
     * The dead letter as it can be written: one too large (a huge record, a huge invalid job) keeps, instead of the job,
     * the first {@link #RAW_KEEP_BYTES} bytes of the record in {@code raw}, and says so.
     */
    public DeadLetter fitting(DeadLetter d, byte[] record) {
        if (JobCodec.toBytes(d).length <= maxValueBytes) {
            return d;
        }
        int length = record == null ? 0 : record.length;
        int keep = Math.min(length, RAW_KEEP_BYTES);
        String raw = record == null ? null : Base64.getEncoder().encodeToString(Arrays.copyOf(record, keep));
        return d.toBuilder()
                .message(d.message() + " (the record was " + length + " bytes, too large to "
                        + "keep whole: raw holds its first " + keep + ")")
                .job(null)
                .raw(raw)
                .build();
    }

    /** Where a record was: for a dead letter. */
    public static DeadLetter.Source source(ConsumerRecord<?, ?> record) {
        return new DeadLetter.Source(record.topic(), record.partition(), record.offset());
    }

    /** The record's {@code kafka_correlationId} header, echoed on its result; null when it has none. */
    public static byte[] correlationId(ConsumerRecord<?, ?> record) {
        Header header = record.headers().lastHeader(RecordHeaders.CORRELATION_ID);
        return header == null ? null : header.value();
    }

    /** The record's {@code replay-count} header: 0 for a first delivery. */
    public static int replayCount(ConsumerRecord<?, ?> record) {
        Header header = record.headers().lastHeader(RecordHeaders.REPLAY_COUNT);
        if (header == null) {
            return 0;
        }
        try {
            return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
