package dev.llmdispatch.dispatch.spi;

/** The attempt log contract on the in-memory log: every view is the one log of the test. */
class InMemoryAttemptLogTest extends AttemptLogContract {

    private final AttemptLog log = AttemptLog.inMemory();

    @Override
    protected AttemptLog view() {
        return log;
    }
}
