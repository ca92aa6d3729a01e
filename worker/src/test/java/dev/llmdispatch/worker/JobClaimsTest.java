package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.store.redis.RedisConnections;
import dev.llmdispatch.store.redis.RedisStores;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.testkit.RedisWire;
import dev.llmdispatch.worker.publish.JobClaims;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * Claims on a real Redis: one run of a job at a time, fleet-wide and on one worker; a dead holder's claim lapses; a start
 * reads the stored outcome and attempts with the claim, and a finish stores the outcome and gives the claim up.
 */
@IntegrationTest
class JobClaimsTest {

    @Test
    void one_run_of_a_job_at_a_time_and_a_dead_holders_claim_lapses(Infrastructure infra) throws Exception {
        RedissonClient redis = RedisConnections.create(infra.redisUrl());
        try {
            JobClaims here = new JobClaims(redis, "claims-test", Duration.ofSeconds(2));
            JobClaims there = new JobClaims(redis, "claims-test", Duration.ofSeconds(2));

            JobClaims.Claim first = here.start("job-1", 0).claim();
            assertThat(first).isNotNull();
            assertThat(there.start("job-1", 0).claim()).as("another worker").isNull();
            assertThat(here.start("job-1", 0).claim())
                    .as("a second run of the job on the same worker")
                    .isNull();
            assertThat(there.start("job-2", 0).claim()).as("another job").isNotNull();

            // renewed while it runs: still held after several leases
            for (int i = 0; i < 5; i++) {
                here.renewAll();
                assertThat(there.start("job-1", 0).claim()).isNull();
                await().pollDelay(Duration.ofMillis(500)).until(() -> true);
            }
            // Redis forgets its scripts (SCRIPT FLUSH, a failover to a replica without them): renewals go on
            RedisWire.command(URI.create(infra.redisUrl()).getPort(), List.of("SCRIPT", "FLUSH"));
            for (int i = 0; i < 5; i++) {
                here.renewAll();
                assertThat(there.start("job-1", 0).claim()).isNull();
                await().pollDelay(Duration.ofMillis(500)).until(() -> true);
            }
            here.release(first);
            JobClaims.Claim taken = there.start("job-1", 0).claim();
            assertThat(taken).as("released: the next run takes it").isNotNull();

            // its holder dies (no renewal, no release): it lapses after the lease
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> here.start("job-1", 0).claim() != null);
            // releasing a claim that lapsed and was taken does not free the new holder's
            there.release(taken);
            assertThat(there.start("job-1", 0).claim()).isNull();
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void a_start_reads_the_stored_outcome_and_the_earlier_attempts_and_a_finish_stores_and_gives_the_claim_up(
            Infrastructure infra) {
        RedissonClient redis = RedisConnections.create(infra.redisUrl());
        try {
            String prefix = "claims-" + UUID.randomUUID();
            JobClaims here = new JobClaims(redis, prefix, Duration.ofSeconds(15));
            JobClaims there = new JobClaims(redis, prefix, Duration.ofSeconds(15));
            JobResult.Attempt refused = new JobResult.Attempt("nvidia-1", 503, "busy", 12);
            new RedisStores(redis, prefix).attempts().failed("job-1", refused);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !new RedisStores(redis, prefix)
                            .attempts()
                            .load("job-1")
                            .isEmpty());

            JobClaims.Start first = here.start("job-1", 0);
            assertThat(first.claim()).isNotNull();
            assertThat(first.answered()).isEmpty();
            assertThat(first.before()).containsExactly(refused);

            JobClaims.Start waiting = there.start("job-1", 0);
            assertThat(waiting.claim()).as("held").isNull();
            assertThat(waiting.answered()).isEmpty();
            assertThat(waiting.before()).as("read only by the run that claims").isEmpty();

            JobResult result = new JobResult(
                    null,
                    "job-1",
                    JobStatus.FAILED,
                    Priority.MEDIUM,
                    Tier.TIER_2,
                    null,
                    null,
                    null,
                    null,
                    new JobResult.JobError(ErrorCode.ALL_PROVIDERS_FAILED, "all failed", true),
                    List.of(refused),
                    false,
                    null,
                    null,
                    Instant.parse("2026-11-28T12:00:00Z"));
            here.finish(first.claim(), result, 1);

            JobClaims.Start again = there.start("job-1", 1);
            assertThat(again.answered()).as("the outcome of this replay").contains(result);
            assertThat(again.claim()).as("given up with the outcome stored").isNotNull();
            assertThat(again.before()).as("answered: no attempts read").isEmpty();
            assertThat(new RedisStores(redis, prefix).attempts().load("job-1"))
                    .as("dropped with the outcome")
                    .isEmpty();
            there.release(again.claim());

            // ops replay the failure; the replay fails once more, then its partition moves
            JobResult.Attempt replayFailed = new JobResult.Attempt("nvidia-2", 503, "busy", 9);
            new RedisStores(redis, prefix).attempts().failed("job-1", replayFailed);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !new RedisStores(redis, prefix)
                            .attempts()
                            .load("job-1")
                            .isEmpty());
            JobClaims.Start replayed = here.start("job-1", 2);
            assertThat(replayed.answered())
                    .as("a later replay of a failure runs again")
                    .isEmpty();
            assertThat(replayed.claim()).isNotNull();
            assertThat(replayed.before())
                    .as("with the attempts its replay made, beside the stored failure of the earlier one")
                    .containsExactly(replayFailed);
        } finally {
            redis.shutdown();
        }
    }
}
