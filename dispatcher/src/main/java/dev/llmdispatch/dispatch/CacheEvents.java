package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.JobKind;

/** What the response cache did, for metrics. */
public interface CacheEvents {
    /** Answers (or embedding inputs) served from the cache, and their bytes. */
    void hits(JobKind kind, int count, long bytes);

    /** Answers (or embedding inputs) looked for and not found. */
    void misses(JobKind kind, int count);

    /** Bytes written to the cache. */
    void stored(long bytes);

    CacheEvents NONE = new CacheEvents() {
        @Override
        public void hits(JobKind kind, int count, long bytes) {}

        @Override
        public void misses(JobKind kind, int count) {}

        @Override
        public void stored(long bytes) {}
    };
}
