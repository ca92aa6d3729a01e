package dev.llmdispatch.simulator;

import java.time.Duration;
import java.util.List;

/**
 * Simulated accounts shaped like the mission's: two NVIDIA accounts (40 requests per minute, 5 in
 * flight), one Hunyuan account (5 in flight), one SiliconFlow account (embeddings, 2000 per minute,
 * 20 in flight). {@code timeScale} compresses the request windows: 0.1 makes "40 per 60 s" "40 per 6 s".
 */
public final class MissionAccounts {

    public static final double REAL_TIME = 1.0;
    public static final String NVIDIA_1_KEY = "sim-nvidia-1";
    public static final String NVIDIA_2_KEY = "sim-nvidia-2";
    public static final String HUNYUAN_1_KEY = "sim-hunyuan-1";
    public static final String SILICONFLOW_1_KEY = "sim-siliconflow-1";

    private MissionAccounts() {}

    public static List<SimAccount> accounts(double timeScale) {
        Duration minute = Duration.ofMillis(Math.round(60_000 * timeScale));
        return List.of(
                new SimAccount("nvidia-1", NVIDIA_1_KEY, 40, minute.toMillis() + "ms", 5, 128_000, "nvidia"),
                new SimAccount("nvidia-2", NVIDIA_2_KEY, 40, minute.toMillis() + "ms", 5, 128_000, "nvidia"),
                new SimAccount("hunyuan-1", HUNYUAN_1_KEY, 0, null, 5, 256_000, "openai"),
                new SimAccount("siliconflow-1", SILICONFLOW_1_KEY, 2000, minute.toMillis() + "ms", 20, 8_192,
                        "siliconflow"));
    }

    /** The mission's accounts with a log-normal latency around 400 ms plus 5 ms per output token. */
    public static SimulatorConfig config(double timeScale) {
        return SimulatorConfig.of(accounts(timeScale), LatencyModel.logNormal(400, 0.4).plusPerOutputToken(5));
    }
}
