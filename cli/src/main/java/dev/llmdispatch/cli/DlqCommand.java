package dev.llmdispatch.cli;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.time.Ticker;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dlq list | show | replay | purge}: the dead-letter topic for on-call engineers. */
@Command(
        name = "dlq",
        mixinStandardHelpOptions = true,
        description = "List, show, replay or purge dead letters.",
        subcommands = {
            DlqCommand.ListCommand.class,
            DlqCommand.ShowCommand.class,
            DlqCommand.ReplayCommand.class,
            DlqCommand.PurgeCommand.class
        })
final class DlqCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where Kafka is, and which dead letters. */
    static final class Selection {
        @Mixin
        KafkaAddress kafka;

        @Option(names = "--job-id", split = ",", description = "only these job ids")
        Set<String> jobIds;

        @Option(names = "--reason", split = ",", description = "only these reasons: ${COMPLETION-CANDIDATES}")
        Set<DeadLetterReason> reasons;

        @Option(names = "--from", description = "failed at or after (ISO-8601)")
        Instant from;

        @Option(names = "--to", description = "failed before (ISO-8601)")
        Instant to;

        @Option(names = "--account", description = "only those with an attempt on this account")
        String account;

        DeadLetters.Filter filter() {
            return new DeadLetters.Filter(jobIds, reasons, from, to, account);
        }
    }

    static int unreachable(PrintWriter err, String bootstrap, RuntimeException e) {
        err.println("llm-dispatch: cannot read the dead-letter topic at " + bootstrap + ": " + e.getMessage());
        return 2;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "One line per dead letter, oldest first.")
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Selection selection;

        @Option(names = "--json", description = "JSON lines for scripts")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (DeadLetters dlq = selection.kafka.deadLetters()) {
                List<DeadLetters.Entry> entries = dlq.list(selection.filter());
                if (!json) {
                    out.printf(
                            "%-24s %-22s %-8s %-6s %-26s %s%n",
                            "job id", "reason", "priority", "replay", "failed at", "message");
                }
                for (DeadLetters.Entry e : entries) {
                    var d = e.deadLetter();
                    if (json) {
                        out.println(JobCodec.toJson(d));
                    } else {
                        String message = d.message() == null ? "" : d.message();
                        out.printf(
                                "%-24s %-22s %-8s %-6d %-26s %s%n",
                                e.jobId() == null ? "(unreadable)" : e.jobId(),
                                d.reason(),
                                d.priority(),
                                d.replayCount(),
                                d.failedAt(),
                                message.length() > 100 ? message.substring(0, 100) + "..." : message);
                    }
                }
                if (!json) {
                    out.println(entries.size() + " dead letters");
                }
                return 0;
            } catch (RuntimeException e) {
                return unreachable(err, selection.kafka.bootstrap, e);
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Every dead letter of a job, whole.")
    static final class ShowCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "JOB_ID")
        String jobId;

        @Mixin
        KafkaAddress kafka;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (DeadLetters dlq = kafka.deadLetters()) {
                List<DeadLetters.Entry> entries =
                        dlq.list(new DeadLetters.Filter(Set.of(jobId), null, null, null, null));
                if (entries.isEmpty()) {
                    err.println("llm-dispatch: no dead letter for job " + jobId);
                    return 1;
                }
                entries.forEach(e -> out.println(
                        JobCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(e.deadLetter())));
                return 0;
            } catch (RuntimeException e) {
                return unreachable(err, kafka.bootstrap, e);
            }
        }
    }

    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            description = "Put the selected jobs back on their priority topics (idempotent: answered jobs are not sent "
                    + "to a provider again).")
    static final class ReplayCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Selection selection;

        @Option(names = "--dry-run", description = "only say what would be replayed")
        boolean dryRun;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (DeadLetters dlq = selection.kafka.deadLetters()) {
                DeadLetters.Report report = dlq.replay(selection.filter(), dryRun, line -> err.println(line));
                report.skipped().forEach((what, why) -> err.println("skipped " + what + ": " + why));
                out.println((dryRun ? "would replay " : "replayed ")
                        + report.replayed().size() + " of " + report.matched() + " matching dead letters");
                return 0;
            } catch (RuntimeException e) {
                return unreachable(err, selection.kafka.bootstrap, e);
            }
        }
    }

    @Command(
            name = "purge",
            mixinStandardHelpOptions = true,
            description = "Delete dead letters older than --before (Kafka deletes records only from the start of a "
                    + "partition, so this is by time, not by filter).")
    static final class PurgeCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaAddress kafka;

        @Option(names = "--before", required = true, description = "delete what was written before this instant")
        Instant before;

        @Option(names = "--dry-run", description = "only count")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String topic = kafka.topics().deadLetter();
            try (Admin admin = Admin.create(kafka.clientProperties())) {
                int partitions = admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get()
                        .get(topic)
                        .partitions()
                        .size();
                Map<TopicPartition, OffsetSpec> atTime = new HashMap<>();
                Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    atTime.put(new TopicPartition(topic, p), OffsetSpec.forTimestamp(before.toEpochMilli()));
                    earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
                    latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                var cut = admin.listOffsets(atTime).all().get();
                var start = admin.listOffsets(earliest).all().get();
                var end = admin.listOffsets(latest).all().get();
                Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
                Map<TopicPartition, long[]> ranges = new HashMap<>();
                for (TopicPartition tp : atTime.keySet()) {
                    // no record at or after the time: everything in the partition is older
                    long upTo = cut.get(tp).offset() < 0
                            ? end.get(tp).offset()
                            : cut.get(tp).offset();
                    if (upTo > start.get(tp).offset()) {
                        delete.put(tp, RecordsToDelete.beforeOffset(upTo));
                        ranges.put(tp, new long[] {start.get(tp).offset(), upTo});
                    }
                }
                // dead letters are written in transactions: offsets also hold their markers, so records are counted
                long count = countDeadLetters(kafka.clientProperties(), ranges);
                if (!dryRun && !delete.isEmpty()) {
                    admin.deleteRecords(delete).all().get();
                }
                out.println((dryRun ? "would delete " : "deleted ") + count + " dead letters written before " + before);
                return 0;
            } catch (ExecutionException | RuntimeException e) {
                err.println("llm-dispatch: cannot purge " + topic + " at " + kafka.bootstrap + ": "
                        + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
                return 2;
            }
        }

        /** The committed dead letters in each partition's {@code [from, upTo)}, read once. */
        private static long countDeadLetters(Map<String, Object> client, Map<TopicPartition, long[]> ranges) {
            if (ranges.isEmpty()) {
                return 0;
            }
            Map<String, Object> props = new HashMap<>(client);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<byte[], byte[]> consumer =
                    new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.assign(ranges.keySet());
                ranges.forEach((tp, range) -> consumer.seek(tp, range[0]));
                long count = 0;
                long deadline = Ticker.SYSTEM.deadline(Duration.ofSeconds(60));
                while (ranges.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue()[1])) {
                    if (Ticker.SYSTEM.passed(deadline)) {
                        throw new IllegalStateException("counting the dead letters took more than 60 s");
                    }
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        long[] range = ranges.get(new TopicPartition(r.topic(), r.partition()));
                        if (r.offset() < range[1]) {
                            count++;
                        }
                    }
                }
                return count;
            }
        }
    }
}
