package dev.llmdispatch.dispatch.internal.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.spi.BlockStore;
import dev.llmdispatch.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The cooldown rules on a hand-set clock, over a store in memory. */
class CooldownsTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-28T03:00:00Z"));
    private final Cooldowns cooldowns = new Cooldowns(BlockStore.inMemory(), clock);

    @Test
    void a_block_holds_until_its_end_and_not_a_millisecond_longer() {
        cooldowns.block("nvidia-1", Duration.ofSeconds(10), BlockReason.RATE_LIMITED);

        clock.advance(Duration.ofMillis(9_999));
        assertThat(cooldowns.blocked("nvidia-1"))
                .contains(new AccountBlock(
                        Instant.parse("2026-11-28T03:00:10Z").toEpochMilli(), BlockReason.RATE_LIMITED));
        assertThat(cooldowns.all()).containsOnlyKeys("nvidia-1");
        clock.advance(Duration.ofMillis(1));
        assertThat(cooldowns.isBlocked("nvidia-1")).isFalse();
        assertThat(cooldowns.all()).isEmpty();
    }

    @Test
    void a_shorter_block_does_not_cut_a_longer_one_short_but_takes_its_reason() {
        cooldowns.block("nvidia-1", Duration.ofMinutes(5), BlockReason.CIRCUIT_OPEN);
        cooldowns.block("nvidia-1", Duration.ofSeconds(3), BlockReason.RATE_LIMITED);

        AccountBlock block = cooldowns.blocked("nvidia-1").orElseThrow();
        assertThat(block.untilMillis())
                .isEqualTo(clock.millis() + Duration.ofMinutes(5).toMillis());
        assertThat(block.reason()).isEqualTo(BlockReason.RATE_LIMITED);
        assertThat(cooldowns.isBlocked("nvidia-2")).isFalse();
    }

    @Test
    void unblocking_lifts_the_block_and_ends_the_outage_so_the_next_one_is_announced_again() {
        cooldowns.block("hunyuan-1", Duration.ofMinutes(1), BlockReason.UNAUTHORIZED);
        assertThat(cooldowns.outage("hunyuan-1", Duration.ofMinutes(1))).isTrue();
        assertThat(cooldowns.outage("hunyuan-1", Duration.ofMinutes(1))).isFalse();

        cooldowns.unblock("hunyuan-1");

        assertThat(cooldowns.isBlocked("hunyuan-1")).isFalse();
        assertThat(cooldowns.outage("hunyuan-1", Duration.ofMinutes(1))).isTrue();
    }
}
