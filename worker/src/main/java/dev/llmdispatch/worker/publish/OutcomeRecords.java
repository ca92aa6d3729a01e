package dev.llmdispatch.worker.publish;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The records a job's outcome is written as: its result on the reply topic and, when it failed for good, a dead
 * letter. They are written by the consumer's transactions (see {@code ResultCommitter}), together with the offsets
 * of the jobs they answer.
 */
public final class OutcomeRecords {

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
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topics.deadLetter(), jobId,
                JobCodec.toBytes(deadLetter));
        if (jobId != null) {
            record.headers().add(RecordHeaders.JOB_ID, jobId.getBytes(StandardCharsets.UTF_8));
        }
        record.headers().add(RecordHeaders.REPLAY_COUNT,
                Integer.toString(deadLetter.replayCount()).getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /**
     * Whether writing a record again cannot succeed: it is too large, cannot be serialised, or this worker may not
     * write to its topic. Anything else (the broker away, a leader moving, a timeout) may heal; whether a topic exists
     * at all is for {@link ReplyTopics} to say.
     */
    public static boolean permanent(Throwable e) {
        return e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException
                || e instanceof SerializationException || e instanceof AuthorizationException
                || e instanceof InvalidTopicException;
    }
}
