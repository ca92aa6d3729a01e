package dev.llmdispatch.cli;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code submit}: runs an OpenAI-Batch-style JSONL file through llm-dispatch. Each line is
 * {@code {"custom_id": ..., "url": "/v1/chat/completions" | "/v1/embeddings", "body": {...}}}, optionally
 * with job fields ({@code tier}, {@code thinking}, {@code metadata}, {@code deadline}, {@code cache}); the
 * custom_id is the job id. Results go to {@code --out}, one line per job as it is answered; lines that cannot
 * be sent go to the errors file beside it with their line number. Rerun with the same {@code --out} to
 * resume: custom_ids already there are skipped.
 */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        description = "Submit a JSONL batch (OpenAI Batch lines) and write the results as they come.")
final class SubmitCommand implements Callable<Integer> {

    @Option(names = "--file", required = true, description = "the JSONL batch")
    Path file;

    @Option(names = "--out", description = "results JSONL (default: <file>.results.jsonl); resumes from it")
    Path out;

    @Option(names = "--priority", description = "HIGH, MEDIUM or LOW (default ${DEFAULT-VALUE})")
    Priority priority = Priority.LOW;

    @Option(names = "--tier", description = "TIER_1, TIER_2 or TIER_3 for lines without one")
    Tier tier;

    @picocli.CommandLine.Mixin
    KafkaAddress kafka;

    @Option(names = "--max-pending", description = "jobs sent and not yet answered, at most (default ${DEFAULT-VALUE})")
    int maxPending = 500;

    @Option(names = "--timeout", description = "how long one job may take, e.g. PT30M (default ${DEFAULT-VALUE})")
    Duration timeout = Duration.ofMinutes(30);

    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    @Spec
    CommandSpec spec;

    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
        err = spec.commandLine().getErr();
        if (!Files.isReadable(file)) {
            err.println("llm-dispatch: cannot read " + file);
            return 2;
        }
        Path results = out != null ? out : file.resolveSibling(file.getFileName() + ".results.jsonl");
        Path errors =
                results.resolveSibling(results.getFileName().toString().replaceAll("\\.jsonl$", "") + ".errors.jsonl");
        Set<String> done = alreadyAnswered(results);
        endWithNewline(results);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        JobClient client;
        try {
            JobClient.Builder builder =
                    JobClient.builder(kafka.bootstrap).topics(kafka.topics()).defaultTimeout(timeout);
            kafka.clientProperties().forEach(builder::kafkaProperty);
            client = builder.build();
        } catch (RuntimeException e) {
            err.println("llm-dispatch: cannot reach Kafka at " + kafka.bootstrap + ": " + e.getMessage());
            return 2;
        }
        Progress progress = new Progress(lines.size() - done.size());
        Semaphore pending = new Semaphore(maxPending);
        AtomicLong badLines = new AtomicLong();
        try (client;
                BufferedWriter resultOut = Files.newBufferedWriter(
                        results, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                BufferedWriter errorOut = Files.newBufferedWriter(
                        errors, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            Thread ticker = quiet ? null : Thread.ofPlatform().daemon().start(() -> tick(progress));
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty()) {
                    continue;
                }
                Job job;
                try {
                    job = toJob(line);
                } catch (IllegalArgumentException e) {
                    writeError(errorOut, i + 1, e.getMessage());
                    badLines.incrementAndGet();
                    progress.failed.incrementAndGet();
                    continue;
                }
                if (done.contains(job.id())) {
                    continue;
                }
                pending.acquire();
                progress.sent.incrementAndGet();
                int lineNo = i + 1;
                client.submit(job, priority, timeout).whenComplete((result, error) -> {
                    try {
                        if (error != null) {
                            writeError(errorOut, lineNo, job.id() + ": " + error.getMessage());
                            progress.failed.incrementAndGet();
                        } else {
                            writeResult(resultOut, result);
                            (result.succeeded() ? progress.answered : progress.failed).incrementAndGet();
                        }
                    } finally {
                        pending.release();
                    }
                });
            }
            pending.acquire(maxPending); // every job answered (or timed out)
            if (ticker != null) {
                ticker.interrupt();
            }
            progress.print(err, true);
        }
        return progress.failed.get() > 0 ? 1 : 0;
    }

    /** A results file cut mid-line by an interruption: new lines start on a line of their own. */
    static void endWithNewline(Path file) throws IOException {
        if (Files.exists(file) && Files.size(file) > 0) {
            try (var channel = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer last = ByteBuffer.allocate(1);
                channel.read(last, channel.size() - 1);
                if (last.get(0) != '\n') {
                    Files.writeString(file, System.lineSeparator(), StandardOpenOption.APPEND);
                }
            }
        }
    }

    /** custom_ids already in the results file: a rerun skips them. */
    static Set<String> alreadyAnswered(Path results) throws IOException {
        Set<String> done = new HashSet<>();
        if (Files.exists(results)) {
            for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
                try {
                    JsonNode node = JobCodec.readTree(line.getBytes(StandardCharsets.UTF_8));
                    if (node.path("custom_id").isString()) {
                        done.add(node.path("custom_id").stringValue());
                    }
                } catch (RuntimeException e) {
                    // a line cut short by an interruption: that job is sent again
                }
            }
        }
        return done;
    }

    Job toJob(String line) {
        JsonNode node;
        try {
            node = JobCodec.readTree(line.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (!node.path("custom_id").isString()) {
            throw new IllegalArgumentException("custom_id is required (a string)");
        }
        String id = node.path("custom_id").stringValue();
        if (!node.path("body").isObject()) {
            throw new IllegalArgumentException(id + ": body is required (an object)");
        }
        String url = node.path("url").asString("/v1/chat/completions");
        JobKind kind = url.endsWith("/embeddings") ? JobKind.EMBEDDING : JobKind.CHAT;
        ObjectNode job = JobCodec.mapper().createObjectNode();
        job.put("id", id);
        job.put("kind", kind.wireName());
        job.set("request", node.path("body"));
        for (String field : List.of("tier", "thinking", "metadata", "deadline", "cache", "tenant")) {
            if (node.has(field)) {
                job.set(field, node.get(field));
            }
        }
        if (!job.has("tier") && tier != null) {
            job.put("tier", tier.name());
        }
        Job parsed;
        try {
            parsed = JobCodec.fromTree(job, Job.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(id + ": " + e.getMessage());
        }
        var check = JobValidator.defaults().check(parsed);
        if (check instanceof JobValidator.Invalid invalid) {
            throw new IllegalArgumentException(invalid.message());
        }
        return parsed;
    }

    private static synchronized void writeResult(BufferedWriter out, JobResult result) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("custom_id", result.id());
        line.put("status", result.status().name());
        line.put("response", result.succeeded() ? Map.of("status_code", 200, "body", result.response()) : null);
        line.put("error", result.error());
        line.put("provider", result.provider());
        line.put("account", result.account());
        line.put("timings", result.timings());
        try {
            out.write(JobCodec.toJson(line));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized void writeError(BufferedWriter out, int lineNo, String message) {
        try {
            out.write(JobCodec.toJson(Map.of("line", lineNo, "error", message)));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void tick(Progress progress) {
        try {
            while (true) {
                Sleeper.SYSTEM.sleepMillis(500);
                progress.print(err, false);
            }
        } catch (InterruptedException e) {
            // done
        }
    }

    /** Counters and the progress line: sent, answered, failed, rate, ETA. */
    static final class Progress {
        final long total;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final long startNanos = Ticker.SYSTEM.nanos();

        Progress(long total) {
            this.total = Math.max(0, total);
        }

        void print(PrintWriter err, boolean last) {
            double seconds = Math.max(0.001, (Ticker.SYSTEM.nanos() - startNanos) / 1e9);
            long finished = answered.get() + failed.get();
            double rate = finished / seconds;
            long left = Math.max(0, total - finished);
            String eta = rate > 0
                    ? Duration.ofSeconds((long) (left / rate))
                            .toString()
                            .substring(2)
                            .toLowerCase()
                    : "?";
            err.printf(
                    "%ssent %d/%d  answered %d  failed %d  %.1f/s  ETA %s%s",
                    last ? "" : "\r",
                    sent.get(),
                    total,
                    answered.get(),
                    failed.get(),
                    rate,
                    last ? "done" : eta,
                    last ? System.lineSeparator() : "  ");
            err.flush();
        }
    }
}
