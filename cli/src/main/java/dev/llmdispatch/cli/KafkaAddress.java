package dev.llmdispatch.cli;

import picocli.CommandLine.Option;

/** The {@code --bootstrap} option every Kafka-facing command takes (default from LLM_DISPATCH_BOOTSTRAP). */
final class KafkaAddress {
    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default ${DEFAULT-VALUE})")
    String bootstrap = System.getenv().getOrDefault("LLM_DISPATCH_BOOTSTRAP", "localhost:9092");
}
