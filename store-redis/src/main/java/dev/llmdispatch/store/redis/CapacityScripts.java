package dev.llmdispatch.store.redis;

import static dev.llmdispatch.store.redis.LuaScript.orEmpty;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore.Sent;
import dev.llmdispatch.dispatch.spi.CapacityStore.Waiting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The capacity store's scripts and what each is called with, by name: KEYS and ARGV are laid out here, in each
 * script's order, and nowhere else ({@link AcquireArgs} for {@code acquire.lua}). Every key is the account's, in its
 * hash slot.
 */
final class CapacityScripts {

    static final LuaScript<AcquireArgs> ACQUIRE = LuaScript.named("acquire");
    static final LuaScript<ReleaseArgs> RELEASE = LuaScript.named("release");
    static final LuaScript<RestoreArgs> RESTORE = LuaScript.named("restore");
    static final LuaScript<UsageArgs> USAGE = LuaScript.named("usage");
    static final LuaScript<DeclareArgs> DECLARE = LuaScript.named("declare");
    static final LuaScript<WaitingArgs> WAITING = LuaScript.named("waiting");
    static final LuaScript<ChargeArgs> CHARGE = LuaScript.named("charge");
    static final LuaScript<AdaptArgs> ADAPT = LuaScript.named("adapt");

    private CapacityScripts() {}

    /**
     * {@code release.lua}: KEYS in-flight, requests, tokens; ARGV permit, unsent request, unsent token entry, released
     * channel, account, sent request, sent ms ago, sent token entry, how long a moved place keeps the request and the
     * token window's keys.
     */
    record ReleaseArgs(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String permitId,
            String unsentRequestId,
            String unsentTokenEntry,
            Sent sent)
            implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(a.inFlight(), a.requests(), a.tokens());
        }

        @Override
        public Object[] argv() {
            return new Object[] {
                orEmpty(permitId),
                orEmpty(unsentRequestId),
                orEmpty(unsentTokenEntry),
                a.releasedChannel(),
                a.accountId(),
                sent == null ? "" : sent.requestId(),
                sent == null ? "0" : Long.toString(sent.millisAgo()),
                sent == null ? "" : sent.tokenEntry(),
                Long.toString(limits.requestKeepMillis()),
                Long.toString(limits.tokenKeepMillis())
            };
        }
    }

    /**
     * {@code adapt.lua}: KEYS adaptive, in-flight; ARGV cut or healthy, ceiling, granted at ms, factor per mille, how
     * long the adaptive limit is kept (ms), healthy calls needed to raise it.
     */
    record AdaptArgs(
            AccountKeys a, boolean cut, int healthyCalls, int ceiling, long grantedAtMillis, int factorPermille)
            implements LuaScript.Args {
        /** How long an adaptive limit is kept without news. */
        static final long KEPT_MILLIS = 600_000;

        @Override
        public List<Object> keys() {
            return List.of(a.adaptive(), a.inFlight());
        }

        @Override
        public Object[] argv() {
            return new Object[] {
                cut ? "cut" : "healthy",
                Integer.toString(ceiling),
                Long.toString(grantedAtMillis),
                Integer.toString(factorPermille),
                Long.toString(KEPT_MILLIS),
                Integer.toString(healthyCalls)
            };
        }
    }

    /** {@code charge.lua}: KEYS tokens; ARGV the granted entry, the entry of what was used. */
    record ChargeArgs(AccountKeys a, String grantedEntry, String usedEntry) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(a.tokens());
        }

        @Override
        public Object[] argv() {
            return new Object[] {grantedEntry, usedEntry};
        }
    }

    /**
     * {@code restore.lua}: KEYS state, in-flight; ARGV known epoch, new epoch, restore window ms, quiet period ms, then
     * each permit's id and ms left.
     */
    record RestoreArgs(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String knownEpoch,
            String newEpoch,
            Map<String, Long> permits,
            long restoreMillis)
            implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(a.state(), a.inFlight());
        }

        @Override
        public Object[] argv() {
            List<Object> argv = new ArrayList<>(
                    List.of(knownEpoch, newEpoch, Long.toString(restoreMillis), Long.toString(limits.quietMillis())));
            permits.forEach((id, left) -> {
                argv.add(id);
                argv.add(Long.toString(left));
            });
            return argv.toArray();
        }
    }

    /** {@code usage.lua}: KEYS state, in-flight, requests, tokens; ARGV request window ms, token window ms. */
    record UsageArgs(AccountKeys a, AccountKeys.Declaration limits) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(a.state(), a.inFlight(), a.requests(), a.tokens());
        }

        @Override
        public Object[] argv() {
            return new Object[] {Long.toString(limits.requestWindowMillis()), Long.toString(limits.tokenWindowMillis())
            };
        }
    }

    /** {@code declare.lua}: KEYS limits; ARGV the declaration as written, how long it is kept (ms). */
    record DeclareArgs(AccountKeys a, AccountKeys.Declaration limits) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(a.limits());
        }

        @Override
        public Object[] argv() {
            return new Object[] {limits.wire(), Long.toString(limits.ttlMillis())};
        }
    }

    /**
     * {@code waiting.lua}: KEYS waiting, waiting-until, waiting-tokens; ARGV worker, urgency ms ('' for none), kept ms,
     * the tokens the job needs.
     */
    record WaitingArgs(AccountKeys a, String workerId, Waiting waiting) implements LuaScript.Args {
        @Override
        public List<Object> keys() {
            return List.of(a.waiting(), a.waitingUntil(), a.waitingTokens());
        }

        @Override
        public Object[] argv() {
            return new Object[] {
                workerId,
                waiting == null ? "" : Long.toString(waiting.urgencyMillis()),
                waiting == null ? "0" : Long.toString(waiting.ttlMillis()),
                waiting == null ? "0" : Long.toString(waiting.tokens())
            };
        }
    }
}
