package dev.llmdispatch.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The simulator's setup.
 *
 * @param port                0 for a free port
 * @param accounts            the accounts, each selected by its API key
 * @param models              models served; a request naming another gets 404 (empty: any model)
 * @param latency             the latency model
 * @param completionTokens    tokens in an answer when the request sets no smaller {@code max_tokens}
 * @param embeddingDimensions length of each embedding vector
 * @param callLogCapacity     how many calls the log keeps (oldest dropped first)
 */
public record SimulatorConfig(
        int port,
        List<SimAccount> accounts,
        List<String> models,
        LatencyModel latency,
        int completionTokens,
        int embeddingDimensions,
        int callLogCapacity) {

    public SimulatorConfig {
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
        models = models == null ? List.of() : List.copyOf(models);
        latency = latency == null ? LatencyModel.NONE : latency;
        completionTokens = completionTokens <= 0 ? 24 : completionTokens;
        embeddingDimensions = embeddingDimensions <= 0 ? 8 : embeddingDimensions;
        callLogCapacity = callLogCapacity <= 0 ? 200_000 : callLogCapacity;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be within 0..65535, but was " + port);
        }
        Set<String> ids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (SimAccount a : accounts) {
            if (!ids.add(a.id())) {
                throw new IllegalArgumentException("accounts: duplicate id " + a.id());
            }
            if (!keys.add(a.key())) {
                throw new IllegalArgumentException("accounts: two accounts share the key of " + a.id());
            }
        }
    }

    public static SimulatorConfig of(List<SimAccount> accounts, LatencyModel latency) {
        return new SimulatorConfig(0, accounts, List.of(), latency, 0, 0, 0);
    }

    public SimulatorConfig withPort(int port) {
        return new SimulatorConfig(
                port, accounts, models, latency, completionTokens, embeddingDimensions, callLogCapacity);
    }

    /** Reads a YAML (or JSON) file. */
    public static SimulatorConfig load(Path file) {
        try {
            return YAMLMapper.builder()
                    .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    .build()
                    .readValue(Files.readAllBytes(file), SimulatorConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read simulator config " + file, e);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("bad simulator config " + file + ": " + e.getOriginalMessage(), e);
        }
    }
}
