package dev.llmdispatch.contract;

import java.util.List;
import java.util.Objects;

/**
 * The topic names of a deployment (defaults from the contract) and the partition count used when the
 * worker creates them.
 */
public record Topics(String high, String medium, String low, String results, String deadLetter, int partitions) {

    /** The workers' consumer group, unless {@code spring.kafka.consumer.group-id} names another. */
    public static final String DEFAULT_WORKER_GROUP = "llm-dispatch-workers";

    public static final String DEFAULT_HIGH = "llm.jobs.high";
    public static final String DEFAULT_MEDIUM = "llm.jobs.medium";
    public static final String DEFAULT_LOW = "llm.jobs.low";
    public static final String DEFAULT_RESULTS = "llm.results";
    public static final String DEFAULT_DEAD_LETTER = "llm.jobs.dlt";
    public static final int DEFAULT_PARTITIONS = 6;

    public static final Topics DEFAULTS = new Topics(
            DEFAULT_HIGH, DEFAULT_MEDIUM, DEFAULT_LOW, DEFAULT_RESULTS, DEFAULT_DEAD_LETTER, DEFAULT_PARTITIONS);

    public Topics {
        Objects.requireNonNull(high, "topics.high");
        Objects.requireNonNull(medium, "topics.medium");
        Objects.requireNonNull(low, "topics.low");
        Objects.requireNonNull(results, "topics.results");
        Objects.requireNonNull(deadLetter, "topics.dead-letter");
        if (partitions < 1) {
            throw new IllegalArgumentException("dispatch.topics.partitions must be >= 1, but was " + partitions);
        }
        if (List.of(high, medium, low, deadLetter).stream().distinct().count() != 4) {
            throw new IllegalArgumentException("dispatch.topics: the three job topics and the dead-letter topic must"
                    + " be distinct, but were " + List.of(high, medium, low, deadLetter));
        }
    }

    /** The topic that carries jobs of this priority. */
    public String jobTopic(Priority priority) {
        return switch (priority) {
            case HIGH -> high;
            case MEDIUM -> medium;
            case LOW -> low;
        };
    }

    /** The priority a job topic stands for, or null when the topic is not a job topic. */
    public Priority priorityOf(String topic) {
        for (Priority p : Priority.values()) {
            if (jobTopic(p).equals(topic)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The fleet's status topic (one partition, compacted: is the fleet in emergency mode), named after the
     * dead-letter topic: {@code llm.jobs.dlt} gives {@code llm.jobs.status}.
     */
    public String status() {
        String base = deadLetter.endsWith(".dlt") ? deadLetter.substring(0, deadLetter.length() - 4) : deadLetter;
        return base + ".status";
    }

    /** The job topics, HIGH first. */
    public List<String> jobTopics() {
        return List.of(high, medium, low);
    }
}
