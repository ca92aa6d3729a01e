package dev.llmdispatch.worker;

import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.SpringApplication;
import org.springframework.context.support.GenericApplicationContext;

/**
 * A worker whose clock is {@code -Dllm-dispatch.test.clock-ahead} (an ISO-8601 duration) ahead of the machine's, as on
 * a host whose clock is wrong: every bean that takes the worker's {@link Clock} gets this one (deadlines, cooldown
 * ends, alert windows). The fleet's limits must not care: windows and leases are timed by Redis.
 */
public final class SkewedClockWorker {

    static final String CLOCK_AHEAD = "llm-dispatch.test.clock-ahead";

    private SkewedClockWorker() {}

    public static void main(String[] args) {
        Duration ahead = Duration.parse(System.getProperty(CLOCK_AHEAD));
        SpringApplication app = new SpringApplication(WorkerApplication.class);
        app.addInitializers(context -> ((GenericApplicationContext) context)
                .registerBean(
                        "skewedClock",
                        Clock.class,
                        () -> Clock.offset(Clock.systemUTC(), ahead),
                        definition -> definition.setPrimary(true)));
        // what the worker's beans get, for the test to check
        System.out.println("worker clock: " + app.run(args).getBean(Clock.class));
    }
}
