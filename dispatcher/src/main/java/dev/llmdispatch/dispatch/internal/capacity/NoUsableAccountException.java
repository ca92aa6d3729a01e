package dev.llmdispatch.dispatch.internal.capacity;

/** Every account the waiter could use is blocked for more than a brief cooldown (open circuit, refused key). */
public final class NoUsableAccountException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoUsableAccountException() {
        super("every account of the job is blocked", null, false, false);
    }
}
