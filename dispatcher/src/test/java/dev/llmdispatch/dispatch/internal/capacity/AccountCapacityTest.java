package dev.llmdispatch.dispatch.internal.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.time.ManualTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** One account's side of the capacity rules that need a clock to move. */
class AccountCapacityTest {

    /**
     * From issue 22 ("also"): a daily quota's start was worked out once, when the worker started, so in a zone with
     * daylight saving it stayed an hour off from the next change on. It is worked out again with each declaration.
     */
    @Test
    void a_daily_quota_follows_its_zones_daylight_saving_change() {
        ManualTime time = new ManualTime(Instant.parse("2026-03-07T12:00:00Z")); // New York on EST, UTC-5
        Limits limits = new Limits(null, null, null, 500_000L, null, "00:00 America/New_York", null);
        CapacitySettings settings =
                CapacitySettings.of("acct-test", Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(25));
        AccountCapacity account = new AccountCapacity(
                new InMemoryCapacityStore(time.clock()),
                settings,
                new AccountSettings("siliconflow-1", "k", limits, null),
                Duration.ofSeconds(20),
                "worker-1",
                time,
                time.clock());
        account.sync();
        assertThat(dayStart(account.declaration()))
                .as("midnight EST is 05:00 UTC")
                .isEqualTo(Duration.ofHours(5));

        time.advance(Duration.ofDays(2)); // 2026-03-08: New York moves to EDT, UTC-4
        account.sync();
        assertThat(dayStart(account.declaration()))
                .as("midnight EDT is 04:00 UTC")
                .isEqualTo(Duration.ofHours(4));
    }

    private static Duration dayStart(AccountKeys.Declaration declaration) {
        return Duration.ofMillis(AccountKeys.Declaration.DAILY_FROM - declaration.tokenWindowMillis());
    }
}
