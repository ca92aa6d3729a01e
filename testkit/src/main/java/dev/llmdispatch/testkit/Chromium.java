package dev.llmdispatch.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's Chromium and ChromeDriver (packages {@code chromium} and {@code chromium-driver}) for the browser
 * tests: installed with {@code apt-get} where missing, and the flags that let headless Chromium run on a closed
 * network as root.
 */
public final class Chromium {

    private static final Logger log = LoggerFactory.getLogger(Chromium.class);

    public static final Path BROWSER = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final long INSTALL_MINUTES = 10;

    private Chromium() {}

    /**
     * Installs Chromium and ChromeDriver from Debian's packages unless both are there already.
     *
     * @throws IllegalStateException naming what is missing and what was tried, when they cannot be had
     */
    public static synchronized void ensureInstalled() {
        if (installed()) {
            return;
        }
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            throw new IllegalStateException(
                    "the browser test needs " + BROWSER + " and " + DRIVER
                            + " (Debian packages chromium and chromium-driver), and this machine has no apt-get to install them");
        }
        List<String> sudo = isRoot() ? List.of() : List.of("sudo", "-n");
        log.info("installing Debian's chromium and chromium-driver for the browser test (takes a minute or two)");
        run(sudo, "apt-get", "update");
        run(sudo, "apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver");
        if (!installed()) {
            throw new IllegalStateException("apt-get installed chromium and chromium-driver, but " + BROWSER + " or "
                    + DRIVER + " is still missing");
        }
    }

    private static boolean installed() {
        return Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(List<String> prefix, String... command) {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of(command));
        try {
            Path output = Files.createTempFile("apt-", ".log");
            ProcessBuilder pb =
                    new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile());
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(INSTALL_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " did not finish in " + INSTALL_MINUTES
                        + " minutes; its output is in " + output);
            }
            if (p.exitValue() != 0) {
                List<String> lines = Files.readAllLines(output);
                throw new IllegalStateException(String.join(" ", argv) + " failed with exit code " + p.exitValue()
                        + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", argv), e);
        }
    }

    /**
     * Command-line flags for a headless Chromium that starts quietly on a closed network, as root, with its own
     * fresh profile in {@code userDataDir}.
     */
    public static List<String> headlessFlags(Path userDataDir) {
        return List.of(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + userDataDir,
                "--window-size=1400,1000");
    }
}
