package dev.llmdispatch.dispatch.internal.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The capacity promise over the fault space ({@link FleetSimulation}): a fixed set of seeds in every build, more with
 * {@code bin/simulate --seeds N} ({@code -Dsim.seeds=N}), one replayed with its whole trace with
 * {@code bin/simulate --seed S} ({@code -Dsim.seed=S}).
 */
class FleetSimulationTest {

    /** Seeds every build runs: a few seconds. */
    private static final int CI_SEEDS = 300;

    @Test
    void noSeedBreaksAnInvariant() {
        String one = System.getProperty("sim.seed");
        if (one != null && !one.isBlank()) {
            FleetSimulation.Result r = FleetSimulation.run(Long.parseLong(one.trim()), faults());
            System.out.println(r.report(Integer.MAX_VALUE));
            System.out.println(r.stats());
            assertThat(r.violations()).as("seed %s", one).isEmpty();
            return;
        }
        int seeds = Integer.getInteger("sim.seeds", CI_SEEDS);
        long first = Long.getLong("sim.first", 1);
        long started = System.nanoTime();
        List<FleetSimulation.Result> failed = new ArrayList<>();
        long jobs = 0;
        long calls = 0;
        long faults = 0;
        long simulated = 0;
        for (long seed = first; seed < first + seeds; seed++) {
            FleetSimulation.Result r = FleetSimulation.run(seed, faults());
            jobs += r.stats().jobs();
            calls += r.stats().calls();
            faults += r.stats().faults();
            simulated += r.stats().simulatedMillis();
            if (!r.passed()) {
                failed.add(r);
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf(
                "simulation: %d seeds (%d..%d) in %.1f s: %d jobs, %d provider calls, %d faults, %.0f simulated "
                        + "minutes; %d seeds broke an invariant%n",
                seeds,
                first,
                first + seeds - 1,
                millis / 1000.0,
                jobs,
                calls,
                faults,
                simulated / 60_000.0,
                failed.size());
        failed.forEach(r -> System.out.println(r.summary()));
        failed.stream().limit(1).forEach(r -> System.out.println(r.report(40)));
        assertThat(failed.stream().map(FleetSimulation.Result::seed).toList())
                .as("seeds that broke an invariant")
                .isEmpty();
    }

    /**
     * Seeds beyond the CI set that found a hole, each shown failing before its fix (at this version of the simulation: a
     * change to what it draws moves every seed's run): 6827, a worker paused 3.7 s with two calls open while Redis lost
     * hunyuan-1's keys, past a 1.9 s restore window (hole 5 of issue 22).
     */
    @Test
    void seedsThatFoundHolesStayFixed() {
        for (long seed : new long[] {6827}) {
            FleetSimulation.Result r = FleetSimulation.run(seed, FleetSimulation.Faults.PROMISED);
            assertThat(r.violations()).as("seed %d", seed).isEmpty();
        }
    }

    /** {@code -Dsim.faults=pausesPastLease,starvedPastWindow}: faults beyond the promise, to find their holes' seeds. */
    private static FleetSimulation.Faults faults() {
        return FleetSimulation.Faults.parse(System.getProperty("sim.faults", ""));
    }

    @Test
    void aSeedReplaysExactly() {
        for (long seed = 1; seed <= 20; seed++) {
            FleetSimulation.Result a = FleetSimulation.run(seed);
            FleetSimulation.Result b = FleetSimulation.run(seed);
            assertThat(b.trace()).as("seed %d", seed).isEqualTo(a.trace());
            assertThat(a.trace()).as("seed %d does something", seed).hasSizeGreaterThan(10);
        }
    }
}
