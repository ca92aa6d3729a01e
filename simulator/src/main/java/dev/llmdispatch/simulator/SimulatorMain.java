package dev.llmdispatch.simulator;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the simulator alone: {@code java -jar simulator-exec.jar [config.yaml] [--port N]}. Without a
 * file it serves the mission's accounts (see {@link MissionAccounts}).
 */
public final class SimulatorMain {
    private SimulatorMain() {}

    public static void main(String[] args) throws InterruptedException {
        SimulatorConfig config = null;
        int port = 8090;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--help")) {
                System.out.println("usage: simulator [config.yaml] [--port N]   (default port 8090, mission accounts)");
                return;
            } else {
                config = SimulatorConfig.load(Path.of(args[i]));
            }
        }
        if (config == null) {
            config = MissionAccounts.config(MissionAccounts.REAL_TIME);
        }
        Simulator simulator = Simulator.start(config.port() == 0 ? config.withPort(port) : config);
        System.out.println("simulator listening at " + simulator.baseUrl());
        config.accounts().forEach(a -> System.out.println("  account " + a.id() + " key " + a.key()));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stop.countDown();
        }));
        stop.await();
    }
}
