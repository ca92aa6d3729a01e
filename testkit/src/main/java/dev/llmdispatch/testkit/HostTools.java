package dev.llmdispatch.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The machine's own tools for tests that check what people run (curl, Python with a Kafka client, docker-compose,
 * promtool): found on PATH, or installed from Debian's packages (apt-get, as root, as CI runs) when missing.
 */
public final class HostTools {

    private HostTools() {}

    /** What a command printed (standard output and error together) and its exit code. */
    public record Result(int code, String output) {}

    /** The tool on PATH, or installed from Debian's package {@code debianPackage} when it is missing. */
    public static synchronized String require(String name, String debianPackage)
            throws IOException, InterruptedException {
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            if (new File(dir, name).canExecute()) {
                return new File(dir, name).getPath();
            }
        }
        install(name, debianPackage);
        return "/usr/bin/" + name;
    }

    /** Debian's Python 3 with {@code module} importable, installing {@code debianPackage} when it is not. */
    public static synchronized String python3With(String module, String debianPackage)
            throws IOException, InterruptedException {
        String python = "/usr/bin/python3";
        if (!new File(python).canExecute()
                || run(python, "-c", "import " + module).code() != 0) {
            install("python3 with " + module, debianPackage);
        }
        return python;
    }

    /** Runs {@code command} in this process' environment (non-interactive for apt), waiting for its end. */
    public static Result run(String... command) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("DEBIAN_FRONTEND", "noninteractive");
        return run(env, Duration.ofMinutes(10), command);
    }

    /** Runs {@code command} in exactly {@code env}; a command still running after {@code within} is killed. */
    public static Result run(Map<String, String> env, Duration within, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        if (!p.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            return new Result(-1, "killed after " + within + ": " + output.getNow(""));
        }
        try {
            return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (ExecutionException | TimeoutException e) {
            return new Result(p.exitValue(), "(output unreadable: " + e + ")");
        }
    }

    private static void install(String what, String debianPackage) throws IOException, InterruptedException {
        Result update = run("apt-get", "update", "-qq");
        Result install = run("apt-get", "install", "-y", "-qq", "--no-install-recommends", debianPackage);
        if (install.code() != 0) {
            throw new IllegalStateException(what + " is missing and apt-get could not install package " + debianPackage
                    + ":\n" + update.output() + "\n" + install.output());
        }
    }
}
