package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore.Ask;
import java.util.List;

/**
 * What {@code acquire.lua} is called with, by name: its KEYS and ARGV are laid out here, in the script's order, and
 * nowhere else. The script's header documents each one under the same number.
 */
record AcquireArgs(AccountKeys account, AccountKeys.Declaration limits, Ask ask) implements LuaScript.Args {

    /** KEYS[1..9]: state, in-flight, requests, tokens, limits, waiting, waiting-until, adaptive, waiting-tokens. */
    @Override
    public List<Object> keys() {
        return List.of(
                account.state(),
                account.inFlight(),
                account.requests(),
                account.tokens(),
                account.limits(),
                account.waiting(),
                account.waitingUntil(),
                account.adaptive(),
                account.waitingTokens());
    }

    /** ARGV[1..21]. */
    @Override
    public Object[] argv() {
        var sent = ask.sent();
        var waiting = ask.waiting();
        return new Object[] {
            ask.knownEpoch(), // 1
            ask.newEpoch(), // 2
            LuaScript.flag(ask.quietOnNew()), // 3
            Long.toString(ask.restoreMillis()), // 4
            ask.permitId(), // 5
            LuaScript.flag(ask.held()), // 6
            Long.toString(ask.leaseMillis()), // 7
            ask.requestId(), // 8
            Long.toString(ask.tokens()), // 9
            limits.wire(), // 10
            Long.toString(limits.ttlMillis()), // 11
            sent == null ? "" : sent.requestId(), // 12
            sent == null ? "0" : Long.toString(sent.millisAgo()), // 13
            waiting == null ? "" : waiting.workerId(), // 14
            waiting == null ? "0" : Long.toString(waiting.urgencyMillis()), // 15
            waiting == null ? "0" : Long.toString(waiting.ttlMillis()), // 16
            waiting == null ? "0" : Long.toString(waiting.toleranceMillis()), // 17
            waiting == null || waiting.nextUrgencyMillis() == null
                    ? ""
                    : Long.toString(waiting.nextUrgencyMillis()), // 18
            sent == null ? "" : sent.tokenEntry(), // 19
            waiting == null ? "0" : Long.toString(waiting.tokens()), // 20
            waiting == null ? "0" : Long.toString(waiting.nextTokens()) // 21
        };
    }
}
