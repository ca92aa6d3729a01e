package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmdispatch.dispatch.capacity.RedisConnections;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.publish.JobClaims;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/** Claims on a real Redis: one run of a job at a time, fleet-wide and on one worker; a dead holder's claim lapses. */
@IntegrationTest
class JobClaimsTest {

    @Test
    void one_run_of_a_job_at_a_time_and_a_dead_holders_claim_lapses(Infrastructure infra) {
        RedissonClient redis = RedisConnections.create(infra.redisUrl());
        try {
            JobClaims here = new JobClaims(redis, "claims-test", Duration.ofSeconds(2));
            JobClaims there = new JobClaims(redis, "claims-test", Duration.ofSeconds(2));

            JobClaims.Claim first = here.tryClaim("job-1");
            assertThat(first).isNotNull();
            assertThat(there.tryClaim("job-1")).as("another worker").isNull();
            assertThat(here.tryClaim("job-1"))
                    .as("a second run of the job on the same worker")
                    .isNull();
            assertThat(there.tryClaim("job-2")).as("another job").isNotNull();

            // renewed while it runs: still held after several leases
            for (int i = 0; i < 5; i++) {
                here.renewAll();
                assertThat(there.tryClaim("job-1")).isNull();
                await().pollDelay(Duration.ofMillis(500)).until(() -> true);
            }
            here.release(first);
            JobClaims.Claim taken = there.tryClaim("job-1");
            assertThat(taken).as("released: the next run takes it").isNotNull();

            // its holder dies (no renewal, no release): it lapses after the lease
            await().atMost(Duration.ofSeconds(10)).until(() -> here.tryClaim("job-1") != null);
            // releasing a claim that lapsed and was taken does not free the new holder's
            there.release(taken);
            assertThat(there.tryClaim("job-1")).isNull();
        } finally {
            redis.shutdown();
        }
    }
}
