package dev.llmdispatch.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.store.redis.RedisConnections;
import dev.llmdispatch.store.redis.RedisTraffic;
import dev.llmdispatch.testkit.Infrastructure;
import dev.llmdispatch.testkit.IntegrationTest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/** Two workers' traffic adds up in Redis into one fleet-wide history, the same whichever worker reads it. */
@IntegrationTest
class FleetTrafficTest {

    @Test
    void two_workers_figures_add_up_per_bucket_and_maxima_are_the_fleets(Infrastructure infra) {
        RedissonClient redis = RedisConnections.create(infra.redisUrl());
        try {
            String prefix = "traffic-" + UUID.randomUUID();
            // 12:00:02 and 12:00:07: two buckets of 5 s
            Clock first = Clock.fixed(Instant.parse("2026-11-26T12:00:02Z"), ZoneOffset.UTC);
            Clock second = Clock.fixed(Instant.parse("2026-11-26T12:00:07Z"), ZoneOffset.UTC);
            FleetTraffic a = new FleetTraffic(new RedisTraffic(redis, prefix), first);
            FleetTraffic b = new FleetTraffic(new RedisTraffic(redis, prefix), first);
            a.jobFinished(JobStatus.SUCCEEDED, 100, false);
            a.jobFinished(JobStatus.FAILED, 900, true);
            a.providerCalled(true, 80);
            b.jobFinished(JobStatus.SUCCEEDED, 300, false);
            b.providerCalled(false, 2000);
            b.providerCalled(true, 20);
            a.flush();
            b.flush();
            b.flush(); // nothing new: adds nothing

            FleetTraffic later = new FleetTraffic(new RedisTraffic(redis, prefix), second);
            later.jobFinished(JobStatus.EXPIRED, 50, false);
            later.flush();

            List<FleetTraffic.Bucket> history = later.history(Duration.ofSeconds(15));
            assertThat(history).hasSize(3);
            FleetTraffic.Bucket one = history.get(1);
            assertThat(one.startMillis())
                    .isEqualTo(Instant.parse("2026-11-26T12:00:00Z").toEpochMilli());
            assertThat(one.succeeded()).isEqualTo(2);
            assertThat(one.failed()).isEqualTo(1);
            assertThat(one.deadLettered()).isEqualTo(1);
            assertThat(one.jobLatencyMeanMs()).isEqualTo((100 + 900 + 300) / 3);
            assertThat(one.jobLatencyMaxMs()).isEqualTo(900);
            assertThat(one.calls()).isEqualTo(3);
            assertThat(one.callErrors()).isEqualTo(1);
            assertThat(one.callLatencyMeanMs()).isEqualTo((80 + 2000 + 20) / 3);
            assertThat(one.callLatencyMaxMs()).isEqualTo(2000);
            FleetTraffic.Bucket two = history.get(2);
            assertThat(two.failed()).isEqualTo(1);
            assertThat(two.calls()).isZero();
            assertThat(two.callLatencyMeanMs()).isEqualTo(-1);
            assertThat(history.get(0).succeeded() + history.get(0).failed()).isZero();
            // any worker reads the same
            assertThat(new FleetTraffic(new RedisTraffic(redis, prefix), second).history(Duration.ofSeconds(15)))
                    .isEqualTo(history);
        } finally {
            redis.shutdown();
        }
    }
}
