package dev.llmdispatch.dispatch.spi;

import java.time.Clock;

/** The probe turns contract on the in-memory turns: every view is the one store of the test. */
class InMemoryProbeTurnsTest extends ProbeTurnsContract {

    private final ProbeTurns turns = ProbeTurns.inMemory(Clock.systemUTC());

    @Override
    protected ProbeTurns view() {
        return turns;
    }
}
