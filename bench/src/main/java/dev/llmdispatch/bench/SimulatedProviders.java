package dev.llmdispatch.bench;

import dev.llmdispatch.simulator.DefaultAccounts;
import dev.llmdispatch.simulator.LatencyModel;
import dev.llmdispatch.simulator.SimAccount;
import dev.llmdispatch.simulator.Simulator;
import dev.llmdispatch.simulator.SimulatorConfig;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The default accounts on the provider simulator, as the fleet benchmarks run them: windows compressed by
 * {@code --time-scale}, latency log-normal around {@code --latency-ms} (a picocli mixin: the options and the start).
 */
public final class SimulatedProviders {

    @Option(
            names = "--time-scale",
            description = "account windows compressed by this factor (default ${DEFAULT-VALUE}: 40/min becomes 40/6s)")
    double timeScale = 0.1;

    @Option(names = "--latency-ms", description = "median provider latency, log-normal (default ${DEFAULT-VALUE})")
    long latencyMs = 400;

    public double timeScale() {
        return timeScale;
    }

    public long latencyMs() {
        return latencyMs;
    }

    /** The default accounts, their windows compressed. */
    public List<SimAccount> accounts() {
        return DefaultAccounts.accounts(timeScale);
    }

    /** The simulator serving {@link #accounts()}. */
    public Simulator start() {
        return Simulator.start(SimulatorConfig.of(accounts(), LatencyModel.logNormal(latencyMs, 0.25)));
    }
}
