package dev.llmdispatch.bench;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Tier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One flood drained by some processes: {@code n} jobs put on a topic at once, and their results counted on the result
 * topic as they come, while the processes' CPU time and memory are sampled every second.
 */
final class FloodRun {

    /** What a drain measured: its rate, the CPU the processes used per job, and their peak memory. */
    record Figures(
            int jobs,
            double seconds,
            double jobsPerSecond,
            double cpuMillisPerJob,
            long peakRssBytes,
            long peakHeapBytes,
            long peakOldGenBytes) {}

    private static final long MB = 1024 * 1024;

    private final String bootstrap;
    private final KafkaProducer<String, byte[]> producer;
    private final List<BenchProcess> processes;

    FloodRun(String bootstrap, KafkaProducer<String, byte[]> producer, List<BenchProcess> processes) {
        this.bootstrap = bootstrap;
        this.producer = producer;
        this.processes = processes;
    }

    /**
     * Puts {@code n} jobs on {@code jobTopic} and waits for {@code n} result records on {@code resultTopic}, read as
     * their readers would ({@code read_committed} for llm-dispatch's transactions); prints and answers the figures.
     */
    Figures drain(String label, String jobTopic, String resultTopic, int n, boolean readCommitted) throws Exception {
        try (KafkaConsumer<byte[], byte[]> results = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        readCommitted ? "read_committed" : "read_uncommitted"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = results.partitionsFor(resultTopic).stream()
                    .map(p -> new TopicPartition(resultTopic, p.partition()))
                    .toList();
            results.assign(partitions);
            results.seekToEnd(partitions);
            partitions.forEach(results::position); // the end as it is now: only this drain's results are counted
            long cpuBefore = cpuMillis();
            long start = System.nanoTime();
            String prefix = label.replace(' ', '-') + "-" + System.currentTimeMillis();
            CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> produce(jobTopic, prefix, n));
            long count = 0;
            long lastProgress = System.nanoTime();
            long nextSample = 0;
            long peakRss = 0;
            long peakHeap = 0;
            long peakLive = 0;
            while (count < n) {
                int got = results.poll(Duration.ofMillis(100)).count();
                long now = System.nanoTime();
                if (got > 0) {
                    count += got;
                    lastProgress = now;
                } else if (now - lastProgress > TimeUnit.MINUTES.toNanos(2)) {
                    throw new IllegalStateException(label + ": no result for 2 minutes after " + count + " of " + n);
                }
                if (now >= nextSample) {
                    nextSample = now + TimeUnit.SECONDS.toNanos(1);
                    for (BenchProcess p : processes) {
                        peakRss = Math.max(peakRss, p.rssBytes());
                        peakHeap = Math.max(peakHeap, (long) p.metric("jvm_memory_used_bytes", "area=\"heap\""));
                        peakLive = Math.max(peakLive, (long) p.metric("jvm_memory_used_bytes", "Old Gen"));
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            produced.join();
            Figures figures = new Figures(
                    n, seconds, n / seconds, (cpuMillis() - cpuBefore) / (double) n, peakRss, peakHeap, peakLive);
            System.out.printf(
                    "  %-22s %7d jobs in %6.1f s = %7.0f jobs/s   CPU %.2f ms/job   peak RSS %d MB%s%n",
                    label,
                    n,
                    seconds,
                    figures.jobsPerSecond(),
                    figures.cpuMillisPerJob(),
                    peakRss / MB,
                    peakHeap > 0
                            ? String.format(", heap used %d MB (old generation %d MB)", peakHeap / MB, peakLive / MB)
                            : "");
            return figures;
        }
    }

    private long cpuMillis() {
        return processes.stream().mapToLong(BenchProcess::cpuMillis).sum();
    }

    /** {@code n} TIER_2 chat jobs, as a producer in any language would put them on a topic. */
    private void produce(String topic, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            Job job = Job.chat(prefix + "-" + i, "hello " + i).toBuilder()
                    .tier(Tier.TIER_2)
                    .build();
            producer.send(new ProducerRecord<>(topic, job.id(), JobCodec.toBytes(job)));
        }
        producer.flush();
    }
}
