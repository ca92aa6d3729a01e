package dev.llmdispatch.worker.consume;

/**
 * A running job, as the consumer sees it: its record, and how to stop it. {@link #handOver} asks the job to stop
 * unless it is at a provider (a wait for capacity or for another owner's claim ends, a call under way finishes);
 * {@link #cancel} stops it outright (its call is interrupted).
 */
public final class JobHandle {

    private final PolledJob work;
    private volatile Thread thread;
    private volatile boolean handedOver;

    JobHandle(PolledJob work) {
        this.work = work;
        this.thread = null;
    }

    public PolledJob work() {
        return work;
    }

    /** Whether the job's partition is moving to another worker: the job must not start anything new. */
    public boolean handedOver() {
        return handedOver;
    }

    void runOn(Thread thread) {
        this.thread = thread;
    }

    /** The thread the job runs on (for the capacity gate, which knows its waiters by thread). */
    public Thread thread() {
        return thread;
    }

    void handOver() {
        handedOver = true;
    }

    void cancel() {
        handedOver = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
