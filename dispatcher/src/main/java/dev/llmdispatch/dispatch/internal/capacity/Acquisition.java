package dev.llmdispatch.dispatch.internal.capacity;

import java.time.Instant;

/** How a wait for capacity ended: a lease granted, or the job's deadline passed first. */
public sealed interface Acquisition {

    /** The lease granted; a wait that expired has none ({@link IllegalStateException}, naming the deadline). */
    Lease lease();

    /** Capacity granted: the lease to send the request on, to close when the call ends. */
    record Acquired(Lease lease) implements Acquisition {}

    /** The deadline passed while the job waited; nothing was taken. */
    record Expired(Instant deadline) implements Acquisition {
        @Override
        public Lease lease() {
            throw new IllegalStateException("the deadline " + deadline + " passed before capacity was granted");
        }
    }
}
