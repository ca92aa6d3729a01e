package dev.llmdispatch.testkit;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waits for a server this kit started to be ready (not for the code under test: tests use Awaitility for that). */
final class ServerPoll {

    /** A readiness check that may fail while the server starts. */
    interface Check {
        boolean ready() throws IOException;
    }

    private ServerPoll() {}

    /**
     * Asks {@code check} every 100 ms until it says ready; fails naming {@code what} after {@code seconds}, or as soon
     * as {@code alive} is false (the server's process ended).
     */
    static void until(String what, int seconds, Check check, BooleanSupplier alive) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                if (check.ready()) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!alive.getAsBoolean() || System.nanoTime() - until > 0) {
                throw new IllegalStateException(what + " was not ready within " + seconds + " s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }
}
