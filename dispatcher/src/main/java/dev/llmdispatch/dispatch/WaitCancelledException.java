package dev.llmdispatch.dispatch;

import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;

/** A capacity wait was cancelled by {@link CapacityGate#cancelWaits}: the job did not run and is not finished. */
public final class WaitCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WaitCancelledException() {
        super("capacity wait cancelled", null, false, false);
    }
}
