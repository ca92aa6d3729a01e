package dev.llmdispatch.cli;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.Topics;
import picocli.CommandLine.Option;

/**
 * Where the jobs are, for every Kafka-facing command: {@code --bootstrap} (default from LLM_DISPATCH_BOOTSTRAP)
 * and the topic names, the contract's by default (a deployment that renamed them with {@code dispatch.topics.*}
 * names them here too).
 */
final class KafkaAddress {
    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default ${DEFAULT-VALUE})")
    String bootstrap = System.getenv().getOrDefault("LLM_DISPATCH_BOOTSTRAP", "localhost:9092");

    @Option(names = "--topic-high", description = "HIGH priority jobs topic (default ${DEFAULT-VALUE})")
    String high = Topics.DEFAULTS.high();

    @Option(names = "--topic-medium", description = "MEDIUM priority jobs topic (default ${DEFAULT-VALUE})")
    String medium = Topics.DEFAULTS.medium();

    @Option(names = "--topic-low", description = "LOW priority jobs topic (default ${DEFAULT-VALUE})")
    String low = Topics.DEFAULTS.low();

    @Option(names = "--topic-results", description = "shared results topic (default ${DEFAULT-VALUE})")
    String results = Topics.DEFAULTS.results();

    @Option(names = "--topic-dead-letter", description = "dead-letter topic (default ${DEFAULT-VALUE})")
    String deadLetter = Topics.DEFAULTS.deadLetter();

    /** The dead letters at this address (close it). */
    DeadLetters deadLetters() {
        return new DeadLetters(bootstrap, topics());
    }

    Topics topics() {
        return new Topics(high, medium, low, results, deadLetter, Topics.DEFAULTS.partitions());
    }
}
