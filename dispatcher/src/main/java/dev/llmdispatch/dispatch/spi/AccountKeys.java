package dev.llmdispatch.dispatch.spi;

import dev.llmdispatch.dispatch.config.Limits;
import java.time.Duration;
import java.time.Instant;

/**
 * The keys of one account's limit state, all in one Redis Cluster hash slot ({@code {account}}) so that a script can
 * use them together (the Redis adapter's {@code RedisKeys} names every key of a deployment); the in-memory store
 * keys its state by them too.
 */
public record AccountKeys(
        String accountId,
        String state,
        String inFlight,
        String requests,
        String tokens,
        String limits,
        String waiting,
        String waitingUntil,
        String waitingTokens,
        String adaptive,
        String releasedChannel) {

    public static AccountKeys of(String keyPrefix, String accountId) {
        String base = keyPrefix + ":{" + accountId + "}:";
        return new AccountKeys(
                accountId,
                base + "state",
                base + "in-flight",
                base + "requests",
                base + "tokens",
                base + "limits",
                base + "waiting",
                base + "waiting-until",
                base + "waiting-tokens",
                base + "adaptive",
                keyPrefix + ":released");
    }

    /**
     * The limits a worker holds an account to, as it declares them to the fleet: every live worker's declaration
     * holds, so during a rolling change of a limit the stricter value is kept. Windows include the guard.
     * A limit that is not set is -1.
     */
    public record Declaration(
            int concurrency, long requests, long requestWindowMillis, long tokens, long tokenWindowMillis) {

        /** @param at when it is declared: a daily quota's start in UTC is its zone's at that time */
        public static Declaration of(Limits limits, Duration guard, Instant at) {
            return new Declaration(
                    limits.hasConcurrencyLimit() ? limits.concurrency() : -1,
                    limits.hasRequestLimit() ? limits.requests() : -1,
                    limits.hasRequestLimit() ? limits.per().plus(guard).toMillis() : -1,
                    limits.tokens() != null ? limits.tokens() : -1,
                    limits.tokens() == null
                            ? -1
                            : limits.tokensReset() != null
                                    ? DAILY_FROM - limits.tokenDayStartMillis(at)
                                    : limits.tokensPer().plus(guard).toMillis());
        }

        /**
         * A token window of {@code DAILY_FROM - m} (at most this) is a daily quota whose day starts {@code m} ms after
         * UTC midnight, by the Redis server's clock; -1 is no limit; a positive value is a sliding window.
         */
        public static final long DAILY_FROM = -10;

        /** How long a declaration stays in force after the last worker holding it asked: a request window, at least 10 s. */
        public long ttlMillis() {
            return Math.max(requestWindowMillis, 10_000);
        }

        /**
         * After a loss of the limit state, how long nothing is granted: the longest sliding window, of requests or of
         * tokens, so that whatever was sent before has left the provider's windows (0: none). A daily quota's usage is
         * not waited out: it counts afresh.
         */
        public long quietMillis() {
            return Math.max(0, Math.max(requestWindowMillis, tokenWindowMillis));
        }

        /** How long the request window's key must live after a place is put in it now: its window and a second. */
        public long requestKeepMillis() {
            return Math.max(0, requestWindowMillis) + 1_000;
        }

        /** How long the token window's key must live after an entry is put in it now (a day for a daily quota). */
        public long tokenKeepMillis() {
            return (tokenWindowMillis > 0 ? tokenWindowMillis : 86_400_000L) + 1_000;
        }

        /** As the scripts read it. */
        public String wire() {
            return concurrency + "," + requests + "," + requestWindowMillis + "," + tokens + "," + tokenWindowMillis;
        }
    }
}
