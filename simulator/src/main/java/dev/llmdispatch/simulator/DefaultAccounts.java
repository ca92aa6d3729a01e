package dev.llmdispatch.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Simulated accounts shaped like the accounts the configuration's defaults describe: two NVIDIA accounts (40 requests per minute, 5 in
 * flight), one Hunyuan account (5 in flight), one SiliconFlow account (embeddings, 2000 per minute,
 * 20 in flight). {@code timeScale} compresses the request windows: 0.1 makes "40 per 60 s" "40 per 6 s".
 */
public final class DefaultAccounts {

    public static final double REAL_TIME = 1.0;
    public static final String NVIDIA_1_KEY = "sim-nvidia-1";
    public static final String NVIDIA_2_KEY = "sim-nvidia-2";
    public static final String HUNYUAN_1_KEY = "sim-hunyuan-1";
    public static final String SILICONFLOW_1_KEY = "sim-siliconflow-1";

    private DefaultAccounts() {}

    public static List<SimAccount> accounts(double timeScale) {
        Duration minute = Duration.ofMillis(Math.round(60_000 * timeScale));
        return List.of(
                new SimAccount("nvidia-1", NVIDIA_1_KEY, 40, minute.toMillis() + "ms", 5, 128_000, "nvidia"),
                new SimAccount("nvidia-2", NVIDIA_2_KEY, 40, minute.toMillis() + "ms", 5, 128_000, "nvidia"),
                new SimAccount("hunyuan-1", HUNYUAN_1_KEY, 0, null, 5, 256_000, "openai"),
                new SimAccount(
                        "siliconflow-1", SILICONFLOW_1_KEY, 2000, minute.toMillis() + "ms", 20, 8_192, "siliconflow"));
    }

    /**
     * The default accounts, keys and error styles with no request window and {@code concurrency} in flight each: for
     * tests about something other than the limits (the path, routing, a fault), where the simulator must not refuse.
     */
    public static List<SimAccount> generous(int concurrency) {
        return List.of(
                new SimAccount("nvidia-1", NVIDIA_1_KEY, 0, null, concurrency, 0, "nvidia"),
                new SimAccount("nvidia-2", NVIDIA_2_KEY, 0, null, concurrency, 0, "nvidia"),
                new SimAccount("hunyuan-1", HUNYUAN_1_KEY, 0, null, concurrency, 0, "openai"),
                new SimAccount("siliconflow-1", SILICONFLOW_1_KEY, 0, null, concurrency, 0, "siliconflow"));
    }

    /**
     * Worker command-line properties that point the contract's providers (nvidia, hunyuan, siliconflow) at a
     * simulator serving {@link #accounts}{@code (timeScale)}, with the same limits and keys. (A list given on
     * the command line replaces the configured one whole, so every account field is set.)
     */
    public static List<String> workerProperties(String baseUrl, double timeScale) {
        return workerProperties(baseUrl, accounts(timeScale));
    }

    /** As {@link #workerProperties(String, double)}, for these default accounts ({@link #generous} ones). */
    public static List<String> workerProperties(String baseUrl, List<SimAccount> accounts) {
        List<String> args = new ArrayList<>(List.of(
                "--dispatch.providers.nvidia.base-url=" + baseUrl,
                "--dispatch.providers.hunyuan.base-url=" + baseUrl,
                "--dispatch.providers.siliconflow.base-url=" + baseUrl,
                // a simulator starts with empty windows: no request of an earlier fleet is still counted there, so a
                // limit state missing at the start need not wait a window (after a loss it still does)
                "--dispatch.capacity.quiet-on-new-state=false"));
        Map<String, String> providerOf = Map.of(
                "nvidia-1", "nvidia", "nvidia-2", "nvidia", "hunyuan-1", "hunyuan", "siliconflow-1", "siliconflow");
        Map<String, Integer> index = new HashMap<>();
        for (SimAccount a : accounts) {
            String provider = providerOf.get(a.id());
            String p = "--dispatch.providers." + provider + ".accounts[" + (index.merge(provider, 1, Integer::sum) - 1)
                    + "].";
            args.add(p + "id=" + a.id());
            args.add(p + "api-key=" + a.key());
            args.add(p + "limits.concurrency=" + a.concurrency());
            if (a.requests() > 0) {
                args.add(p + "limits.requests=" + a.requests());
                args.add(p + "limits.per=" + a.window().toMillis() + "ms");
            }
        }
        return args;
    }

    /** The default accounts with a log-normal latency around 400 ms plus 5 ms per output token. */
    public static SimulatorConfig config(double timeScale) {
        return SimulatorConfig.of(
                accounts(timeScale), LatencyModel.logNormal(400, 0.4).plusPerOutputToken(5));
    }
}
