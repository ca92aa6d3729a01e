package dev.llmdispatch.dispatch.internal.resilience;

import dev.llmdispatch.dispatch.AccountBlock;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.dispatch.HealthEvents;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.spi.EmergencyFlag;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emergency mode: every enabled account blocked for more than a brief cooldown (open circuit, refused key,
 * spent quota) means no provider can serve anything. {@link #check()} keeps a fleet-wide flag ({@link EmergencyFlag}, in Redis) in
 * step with that; every worker pauses consumption while the flag is up (jobs wait safely in Kafka) and
 * resumes when it comes down.
 */
public final class EmergencyMonitor implements Emergency {

    private static final Logger log = LoggerFactory.getLogger(EmergencyMonitor.class);

    private final List<String> accounts;
    private final Cooldowns cooldowns;
    private final EmergencyFlag flag;
    private final HealthEvents events;
    private volatile boolean active;

    public EmergencyMonitor(DispatchSettings settings, Cooldowns cooldowns, EmergencyFlag flag, HealthEvents events) {
        this.accounts = settings.providers().values().stream()
                .flatMap(p -> p.accounts().stream())
                .filter(a -> a.enabled())
                .map(a -> a.id())
                .toList();
        this.cooldowns = cooldowns;
        this.flag = flag;
        this.events = events;
        this.active = flag.isUp();
    }

    /** Whether every provider is down now, from the blocks. */
    public boolean everyProviderDown() {
        if (accounts.isEmpty()) {
            return false;
        }
        Map<String, AccountBlock> blocks = cooldowns.all();
        return accounts.stream()
                .allMatch(a -> blocks.containsKey(a) && !blocks.get(a).reason().brief());
    }

    /** Raises or lowers the fleet-wide flag to match the blocks; returns whether emergency mode is on. */
    public boolean check() {
        boolean down = everyProviderDown();
        boolean now = flag.isUp(); // one read a check; a change made here is known without reading again
        if (down && !now) {
            if (flag.raise("every provider is down")) {
                events.emergencyFlagChanged(true);
            }
            now = true; // raised here, or by another worker in between
        } else if (!down && now) {
            if (flag.lower()) {
                events.emergencyFlagChanged(false);
            }
            now = false; // lowered here, or by another worker in between
        }
        if (now != active) {
            active = now;
            if (now) {
                log.error(
                        "ALERT emergency mode: every provider is unavailable {}; consumption paused fleet-wide, "
                                + "health probes continue",
                        cooldowns.all());
            } else {
                log.warn("emergency mode over: a provider recovered; consumption resumes");
            }
            events.emergency(now, now ? "every provider is unavailable" : "a provider recovered");
        }
        return now;
    }

    /**
     * When a provider may take work again: the soonest end of the accounts' cooldowns (a probe lifts a cooldown
     * earlier when the account answers), in whole seconds, at least 1 and at most 300.
     */
    public long retryAfterSeconds(long nowMillis) {
        long soonest = cooldowns.all().values().stream()
                .mapToLong(AccountBlock::untilMillis)
                .min()
                .orElse(nowMillis);
        return Math.clamp((soonest - nowMillis + 999) / 1000, 1, 300);
    }

    /** The flag as last seen by {@link #check()}. */
    public boolean active() {
        return active;
    }
}
