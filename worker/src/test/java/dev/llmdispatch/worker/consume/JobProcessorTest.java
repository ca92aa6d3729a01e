package dev.llmdispatch.worker.consume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.DeadLetter;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.JobValidator;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchOutcome;
import dev.llmdispatch.dispatch.JobClaims;
import dev.llmdispatch.dispatch.TenantBudgetCheck;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.JobLedger;
import dev.llmdispatch.store.redis.RedisTraffic;
import dev.llmdispatch.time.ManualTime;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.observe.Metrics;
import dev.llmdispatch.worker.publish.OutcomeRecords;
import dev.llmdispatch.worker.publish.ReplyTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;

/**
 * A record the worker fails on: failures of its own on the job are counted and, at the third, the job ends in a
 * PROCESSING_FAILED dead letter and a FAILED result, so that its partition moves on; a store or the broker away is
 * not the job's fault and never ends it. The job's run and the stores are in memory; the broker is one that does not
 * answer (the reply topic's check gives up at once and lets the write tell).
 */
class JobProcessorTest {

    private final ManualTime time = new ManualTime();
    private final Topics topics = Topics.DEFAULTS;
    private final DispatchSettings settings = new DispatchSettings(
            null,
            topics,
            Map.of(
                    "p",
                    new ProviderSettings(
                            "http://providers.invalid/v1",
                            null,
                            null,
                            Map.of("chat", "m"),
                            null,
                            null,
                            null,
                            null,
                            List.of(new AccountSettings("p-1", "k", Limits.of(null, null, 5, null, null), null)))),
            Map.of("TIER_1", List.of("p"), "TIER_2", List.of("p"), "TIER_3", List.of("p"), "EMBEDDING", List.of("p")),
            null,
            0);

    /** One for the class: an admin client takes a while to start and to close. */
    @AutoClose
    private static final ReplyTopics replyTopics = new ReplyTopics(
            Admin.create(Map.of("bootstrap.servers", "127.0.0.1:9", "request.timeout.ms", "100")),
            Duration.ofMillis(1));

    private final OutcomeRecords records = new OutcomeRecords(topics, 1024 * 1024);
    private final JobLedger ledger = JobLedger.inMemory(time.clock(), AttemptLog.inMemory());
    private final AtomicInteger dispatched = new AtomicInteger();

    private JobProcessor processor(Supplier<RuntimeException> failure) {
        Dispatch failing = new Dispatch() {
            @Override
            public DispatchOutcome dispatch(Job job, Priority priority) {
                dispatched.incrementAndGet();
                throw failure.get();
            }
        };
        return new JobProcessor(
                settings,
                JobValidator.defaults(),
                failing,
                records,
                new JobClaims(ledger, Duration.ofSeconds(15)),
                replyTopics,
                time.clock(),
                time,
                new Metrics(new SimpleMeterRegistry()),
                new FleetTraffic(new RedisTraffic(null, "unused"), time.clock()),
                TenantBudgetCheck.NONE);
    }

    private JobHandle handle(Job job) {
        ConsumerRecord<byte[], byte[]> record =
                new ConsumerRecord<>(topics.medium(), 2, 41, job.id().getBytes(), JobCodec.toBytes(job));
        return new JobHandle(new PolledJob(record, Priority.MEDIUM, 1));
    }

    @Test
    void a_job_the_worker_fails_on_three_times_is_dead_lettered_with_the_error_and_answered() {
        JobProcessor processor = processor(() -> new IllegalStateException("a bug met by this job"));
        Job job = Job.chat("poison-1", "hi").toBuilder()
                .metadata(JobCodec.mapper().createObjectNode().put("caller", "t"))
                .build();

        assertThat(processor.process(handle(job)).done())
                .as("first failure: again later")
                .isFalse();
        assertThat(processor.process(handle(job)).done())
                .as("second failure: again later")
                .isFalse();
        Finished third = processor.process(handle(job));

        assertThat(third.done()).isTrue();
        assertThat(dispatched).hasValue(3);
        assertThat(time.nanos())
                .as("a pause after each of the first two")
                .isEqualTo(Duration.ofSeconds(2).toNanos());
        DeadLetter deadLetter = third.records().stream()
                .filter(r -> r.topic().equals(topics.deadLetter()))
                .map(r -> JobCodec.readDeadLetter(r.value()))
                .findFirst()
                .orElseThrow();
        assertThat(deadLetter.reason()).isEqualTo(DeadLetterReason.PROCESSING_FAILED);
        assertThat(deadLetter.message()).contains("3 times", "a bug met by this job");
        assertThat(deadLetter.job().path("id").asString()).isEqualTo("poison-1");
        assertThat(deadLetter.source().offset()).isEqualTo(41);
        JobResult result = third.records().stream()
                .filter(r -> r.topic().equals(topics.results()))
                .map(r -> JobCodec.readResult(r.value()))
                .findFirst()
                .orElseThrow();
        assertThat(result.status()).isEqualTo(JobStatus.FAILED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.PROCESSING_FAILED);
        assertThat(result.metadata().path("caller").asString()).isEqualTo("t");
        assertThat(third.records()).hasSize(2);
        // its claim was given up each time: a replay of the dead letter can run it
        assertThat(ledger.start("poison-1", "replay", Duration.ofSeconds(15)).claimed())
                .isTrue();
    }

    @Test
    void a_store_away_is_not_the_jobs_fault_and_never_ends_it() {
        JobProcessor processor = processor(() -> new RedisConnectionException("Unable to connect to Redis server"));
        Job job = Job.chat("waits-1", "hi");

        for (int i = 0; i < 10; i++) {
            assertThat(processor.process(handle(job)).done()).isFalse();
        }
        assertThat(dispatched).hasValue(10);
    }

    @Test
    void failures_are_counted_per_record() {
        JobProcessor processor = processor(() -> new IllegalStateException("a bug"));
        Job one = Job.chat("one", "hi");
        Job two = Job.chat("two", "hi");
        processor.process(handle(one));
        processor.process(handle(one));
        ConsumerRecord<byte[], byte[]> elsewhere =
                new ConsumerRecord<>(topics.medium(), 2, 42, "two".getBytes(), JobCodec.toBytes(two));

        assertThat(processor
                        .process(new JobHandle(new PolledJob(elsewhere, Priority.MEDIUM, 1)))
                        .done())
                .as("another record's first failure")
                .isFalse();
        assertThat(processor.process(handle(one)).done())
                .as("this record's third")
                .isTrue();
    }

    @Test
    void what_says_a_store_or_the_broker_is_away() {
        assertThat(JobProcessor.unavailable(new RedisConnectionException("down")))
                .isTrue();
        assertThat(JobProcessor.unavailable(
                        new IllegalStateException("wrapped", new org.apache.kafka.common.errors.TimeoutException("t"))))
                .isTrue();
        assertThat(JobProcessor.unavailable(new IllegalArgumentException("a bug")))
                .isFalse();
        assertThat(JobProcessor.unavailable(new NullPointerException())).isFalse();
    }
}
