package dev.llmdispatch.worker.publish;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.RecordHeaders;
import dev.llmdispatch.contract.Topics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes results and dead letters, and waits for the broker's acknowledgement: a job's offset is committed
 * only after this returns.
 */
public final class ResultPublisher {

    /** Room kept in a record for its key, headers and the batch around it. */
    private static final int RECORD_OVERHEAD_BYTES = 16 * 1024;

    private final KafkaProducer<String, byte[]> producer;
    private final Topics topics;
    private final int maxValueBytes;

    /** @param maxRequestBytes the producer's {@code max.request.size}: no record value may come near it */
    public ResultPublisher(KafkaProducer<String, byte[]> producer, Topics topics, int maxRequestBytes) {
        this.producer = producer;
        this.topics = topics;
        this.maxValueBytes = maxRequestBytes - RECORD_OVERHEAD_BYTES;
    }

    /** The largest record value this publisher writes (a larger result or dead letter must be cut down first). */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /** Publishes a result on {@code topic}, keyed by job id, with the job's correlation id echoed. */
    public void publishResult(String topic, JobResult result, byte[] correlationId) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, result.id(), JobCodec.toBytes(result));
        record.headers().add(RecordHeaders.JOB_ID, result.id().getBytes(StandardCharsets.UTF_8));
        if (correlationId != null) {
            record.headers().add(RecordHeaders.CORRELATION_ID, correlationId);
        }
        await(record);
    }

    /** Publishes a dead letter, keyed by job id (null when the job could not be read). */
    public void publishDeadLetter(String jobId, DeadLetter deadLetter) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topics.deadLetter(), jobId,
                JobCodec.toBytes(deadLetter));
        if (jobId != null) {
            record.headers().add(RecordHeaders.JOB_ID, jobId.getBytes(StandardCharsets.UTF_8));
        }
        record.headers().add(RecordHeaders.REPLAY_COUNT,
                Integer.toString(deadLetter.replayCount()).getBytes(StandardCharsets.UTF_8));
        await(record);
    }

    private void await(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get();
        } catch (ExecutionException e) {
            throw new PublishException("cannot write to " + record.topic() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (KafkaException e) {
            // thrown by send itself (serialization, a record over max.request.size)
            throw new PublishException("cannot write to " + record.topic() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while writing to " + record.topic(), e);
        }
    }

    /** A result or dead letter could not be written; the job's offset must not be committed. */
    public static final class PublishException extends RuntimeException {
        public PublishException(String message, Throwable cause) {
            super(message, cause);
        }

        /**
         * Whether writing again cannot succeed: the record is too large, cannot be serialised, or this worker may not
         * write to the topic. Anything else (the broker away, a leader moving, a timeout) may heal.
         */
        public boolean permanent() {
            return getCause() instanceof RecordTooLargeException || getCause() instanceof RecordBatchTooLargeException
                    || getCause() instanceof SerializationException || getCause() instanceof AuthorizationException
                    || getCause() instanceof InvalidTopicException;
        }
    }
}
