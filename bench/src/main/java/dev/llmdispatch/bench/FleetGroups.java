package dev.llmdispatch.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/** Waits on a consumer group, as the benchmarks need before they measure. */
public final class FleetGroups {

    private FleetGroups() {}

    /**
     * Waits until the group is stable with {@code members} members that all own partitions (cooperative rebalances
     * take rounds), up to 3 minutes.
     */
    public static void awaitStable(String bootstrap, String group, int members) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (System.nanoTime() < deadline) {
                ConsumerGroupDescription description = describe(admin, group);
                if (description != null
                        && description.groupState() == GroupState.STABLE
                        && description.members().size() == members
                        && description.members().stream()
                                .noneMatch(m -> m.assignment().topicPartitions().isEmpty())) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new IllegalStateException(
                    "the consumer group " + group + " did not settle with " + members + " members in 3 minutes");
        }
    }

    /** Waits until the group has no member (a worker stopped has left it), up to a minute. */
    public static void awaitEmpty(String bootstrap, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (System.nanoTime() < deadline) {
                ConsumerGroupDescription description = describe(admin, group);
                if (description == null || description.members().isEmpty()) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new IllegalStateException("the consumer group " + group + " still has members after a minute");
        }
    }

    /** The group as the broker describes it, or null when it has no member yet (or any more). */
    private static ConsumerGroupDescription describe(Admin admin, String group) throws Exception {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
    }
}
