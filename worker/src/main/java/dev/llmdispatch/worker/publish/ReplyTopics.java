package dev.llmdispatch.worker.publish;

import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Whether a reply topic can be written to, asked of the broker before a job goes to a provider: a job whose answer
 * could never be delivered (its reply topic does not exist, or this worker may not write to it) is dead-lettered at
 * once, without a provider call. Topics found writable are remembered for a minute.
 */
public final class ReplyTopics implements AutoCloseable {

    private static final long REMEMBER_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Admin admin;
    private final Duration timeout;
    private final Map<String, Long> writable = new ConcurrentHashMap<>();

    public ReplyTopics(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** Why the topic cannot be written to, for good; null when it can, or when the broker did not say. */
    public String unwritable(String topic) {
        Long checked = writable.get(topic);
        if (checked != null && Ticker.SYSTEM.nanos() - checked < REMEMBER_NANOS) {
            return null;
        }
        try {
            TopicDescription description = admin.describeTopics(
                            List.of(topic), new DescribeTopicsOptions().includeAuthorizedOperations(true))
                    .allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(topic);
            Set<AclOperation> ops = description.authorizedOperations();
            if (ops != null && !ops.isEmpty() && !ops.contains(AclOperation.WRITE) && !ops.contains(AclOperation.ALL)) {
                return "this worker may not write to topic " + topic;
            }
            writable.put(topic, Ticker.SYSTEM.nanos());
            return null;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicAuthorizationException) {
                return "this worker may not use topic " + topic;
            }
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return "topic " + topic + " does not exist";
            }
            if (OutcomeRecords.permanent(e.getCause())) {
                return "topic " + topic + " cannot be written to: "
                        + e.getCause().getMessage();
            }
            return null; // the broker away: the write will tell
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** As {@link #unwritable}, asking the broker again even if the topic was found writable lately. */
    public String unwritableNow(String topic) {
        writable.remove(topic);
        return unwritable(topic);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
