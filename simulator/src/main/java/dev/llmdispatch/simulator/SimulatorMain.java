package dev.llmdispatch.simulator;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the simulator alone: {@code java -jar simulator-exec.jar [config.yaml] [--port N] [--host ADDRESS]}. Without
 * a file it serves the default accounts (see {@link DefaultAccounts}); without a host it listens on loopback only
 * ({@code --host 0.0.0.0} in a container, for the workers in the others).
 */
public final class SimulatorMain {
    private SimulatorMain() {}

    public static void main(String[] args) throws InterruptedException, UnknownHostException {
        SimulatorConfig config = null;
        int port = 8090;
        InetAddress host = InetAddress.getLoopbackAddress();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--host") && i + 1 < args.length) {
                host = InetAddress.getByName(args[++i]);
            } else if (args[i].equals("--help")) {
                System.out.println("usage: simulator [config.yaml] [--port N] [--host ADDRESS]   (default port 8090,"
                        + " loopback, default accounts)");
                return;
            } else {
                config = SimulatorConfig.load(Path.of(args[i]));
            }
        }
        if (config == null) {
            config = DefaultAccounts.config(DefaultAccounts.REAL_TIME);
        }
        Simulator simulator = Simulator.start(config.port() == 0 ? config.withPort(port) : config, host);
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
