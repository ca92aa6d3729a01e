package dev.llmdispatch.dispatch.spi;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** {@link TenantLedger#inMemory}: budget.lua's rules, on a clock of this process. */
final class InMemoryTenantLedger implements TenantLedger {

    private static final long MINUTE = 60_000;
    private static final long DAY = 86_400_000;

    /** One tenant's figures: the minute and day they count in, and what was used in each. */
    private static final class Figures {
        long minute = -1;
        long day = -1;
        long mr;
        long mt;
        long dr;
        long dt;
    }

    private final Clock clock;
    private final Map<String, Figures> byTenant = new HashMap<>();
    /** A job counted: until when the mark lasts, and the tokens it reserved in its minute and day (0: settled). */
    private static final class Mark {
        final long ends;
        final long minute;
        final long day;
        long reserved;

        Mark(long ends, long minute, long day, long reserved) {
            this.ends = ends;
            this.minute = minute;
            this.day = day;
            this.reserved = reserved;
        }
    }

    /** Jobs counted, by tenant and job id. */
    private final Map<String, Mark> counted = new HashMap<>();

    InMemoryTenantLedger(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized Admission admit(String tenant, Budget budget, String jobId, long tokens) {
        long now = clock.millis();
        Figures f = current(tenant, now);
        String mark = tenant + "\n" + jobId;
        Mark known = counted.get(mark);
        if (known != null && known.ends > now) {
            return new Admission(true, "", Duration.ZERO, use(f), true);
        }
        long toMinute = (now / MINUTE + 1) * MINUTE - now;
        long toDay = (now / DAY + 1) * DAY - now;
        String spent = "";
        long wait = 0;
        if (budget.requestsPerDay() >= 0 && f.dr >= budget.requestsPerDay()) {
            spent = "requests-per-day";
            wait = toDay;
        } else if (budget.tokensPerDay() >= 0 && f.dt >= budget.tokensPerDay()) {
            spent = "tokens-per-day";
            wait = toDay;
        } else if (budget.requestsPerMinute() >= 0 && f.mr >= budget.requestsPerMinute()) {
            spent = "requests-per-minute";
            wait = toMinute;
        } else if (budget.tokensPerMinute() >= 0 && f.mt >= budget.tokensPerMinute()) {
            spent = "tokens-per-minute";
            wait = toMinute;
        }
        if (!spent.isEmpty()) {
            return new Admission(false, spent, Duration.ofMillis(wait), use(f), false);
        }
        long reserved = budget.tokens() ? Math.max(0, tokens) : 0;
        f.mr++;
        f.dr++;
        f.mt += reserved;
        f.dt += reserved;
        if (counted.size() >= 10_000) {
            counted.values().removeIf(m -> m.ends <= now); // marks end with the day after theirs
        }
        counted.put(mark, new Mark(now + toDay + DAY, f.minute, f.day, reserved));
        return new Admission(true, "", Duration.ZERO, use(f), false);
    }

    @Override
    public synchronized void settle(String tenant, Budget budget, String jobId, long tokens) {
        long now = clock.millis();
        Figures f = current(tenant, now);
        Mark mark = counted.get(tenant + "\n" + jobId);
        if (mark != null && mark.ends > now && mark.reserved > 0) {
            // taken back where it was made, while that minute and day last: an earlier one is over already
            if (mark.minute == f.minute) {
                f.mt = Math.max(0, f.mt - mark.reserved);
            }
            if (mark.day == f.day) {
                f.dt = Math.max(0, f.dt - mark.reserved);
            }
            mark.reserved = 0;
        }
        f.mt += Math.max(0, tokens);
        f.dt += Math.max(0, tokens);
    }

    @Override
    public synchronized Use use(String tenant, Budget budget) {
        return use(current(tenant, clock.millis()));
    }

    private Figures current(String tenant, long now) {
        Figures f = byTenant.computeIfAbsent(tenant, t -> new Figures());
        if (f.minute != now / MINUTE) {
            f.minute = now / MINUTE;
            f.mr = 0;
            f.mt = 0;
        }
        if (f.day != now / DAY) {
            f.day = now / DAY;
            f.dr = 0;
            f.dt = 0;
        }
        return f;
    }

    private static Use use(Figures f) {
        return new Use(f.mr, f.dr, f.mt, f.dt);
    }
}
