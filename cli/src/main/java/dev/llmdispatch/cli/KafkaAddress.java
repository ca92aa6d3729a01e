package dev.llmdispatch.cli;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Where the jobs are, for every Kafka-facing command: {@code --bootstrap} (default from LLM_DISPATCH_BOOTSTRAP),
 * {@code --kafka-config} (a Kafka client properties file, as Kafka's own tools take with {@code --command-config}:
 * SASL, TLS), and the topic names, the contract's by default (a deployment that renamed them with
 * {@code dispatch.topics.*} names them here too).
 */
final class KafkaAddress {
    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default ${DEFAULT-VALUE})")
    String bootstrap = System.getenv().getOrDefault("LLM_DISPATCH_BOOTSTRAP", "localhost:9092");

    @Option(
            names = "--kafka-config",
            description = "Kafka client properties file (security.protocol, sasl.*, ssl.*), default from "
                    + "LLM_DISPATCH_KAFKA_CONFIG")
    Path config = System.getenv("LLM_DISPATCH_KAFKA_CONFIG") == null
            ? null
            : Path.of(System.getenv("LLM_DISPATCH_KAFKA_CONFIG"));

    @Option(
            names = "--kafka-timeout",
            description = "how long to wait for Kafka before giving up, e.g. PT5S (default ${DEFAULT-VALUE})")
    Duration timeout = Duration.ofSeconds(15);

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
        return new DeadLetters(clientProperties(), topics());
    }

    /**
     * The bootstrap servers, how long to wait for Kafka ({@code --kafka-timeout}: a blocking call, and one request at
     * most), and the properties of {@code --kafka-config}, for every Kafka client of a command.
     */
    Map<String, Object> clientProperties() {
        Map<String, Object> props = new HashMap<>();
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put("default.api.timeout.ms", millis);
        props.put("request.timeout.ms", Math.min(millis, 10_000));
        if (config != null) {
            Properties file = new Properties();
            try (Reader in = Files.newBufferedReader(config)) {
                file.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "--kafka-config " + config + " cannot be read: " + e.getMessage(), e);
            }
            file.forEach((k, v) -> props.put(String.valueOf(k), v));
        }
        props.put("bootstrap.servers", bootstrap);
        return props;
    }

    Topics topics() {
        return new Topics(high, medium, low, results, deadLetter, Topics.DEFAULTS.partitions());
    }
}
