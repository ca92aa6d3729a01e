package dev.llmdispatch.dispatch.internal.provider;

/**
 * What a provider request asks at the last moment before its first byte is written, and what it tells once the HTTP
 * client has taken its whole body (the request is leaving then, however long after the question that was).
 */
public interface WriteGate {

    /** A request that may always be written, and whose leaving nobody needs to know. */
    WriteGate ALWAYS = new WriteGate() {
        @Override
        public boolean mayWrite() {
            return true;
        }

        @Override
        public void left() {}
    };

    /** Whether the request may still be written; false holds it back with nothing sent. */
    boolean mayWrite();

    /** The HTTP client took the request's last byte of body: it is on its way now. */
    void left();
}
