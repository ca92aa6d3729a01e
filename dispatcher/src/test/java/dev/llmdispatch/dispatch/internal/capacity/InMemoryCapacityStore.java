package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.dispatch.spi.CapacityStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The capacity store in one JVM: the Lua scripts of {@code /redis-scripts} ported line for line onto sorted sets and
 * hashes kept under the same key names, each call atomic (one lock, as Redis runs one script at a time), timed by
 * {@code clock} as the scripts are by the server's {@code TIME}. {@link CapacityStoreContract} holds it to the scripts:
 * the same cases pass on it, on a real {@code redis-server} and on a Redis Cluster. {@link #loseEverything()} is Redis
 * restarted empty.
 */
public final class InMemoryCapacityStore implements CapacityStore {

    private static final long DAY = 86_400_000L;
    private static final Pattern DECLARATION = Pattern.compile("^(-?\\d+),(-?\\d+),(-?\\d+),(-?\\d+),(-?\\d+)$");
    private static final Pattern TOKENS = Pattern.compile(":(\\d+)$");

    private final Clock clock;
    /** The "Redis process" keeping the state (its run id): a restart or a failover makes it another one. */
    private String server = "server-1";

    private int restarts = 1;
    private final Map<String, ZSet> zsets = new HashMap<>();
    private final Map<String, Map<String, String>> hashes = new HashMap<>();
    private final Map<String, Long> expiresAt = new HashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService announcer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "in-memory-pubsub");
        t.setDaemon(true);
        return t;
    });

    public InMemoryCapacityStore(Clock clock) {
        this.clock = clock;
    }

    /** Every key gone at once, as when Redis restarts without persistence. */
    public synchronized void loseEverything() {
        server = "server-" + (++restarts);
        zsets.clear();
        hashes.clear();
        expiresAt.clear();
    }

    /** Everything the store holds now, to {@link #rollBack} to: an AOF restart or a lagging replica's failover. */
    public synchronized Object snapshot() {
        Map<String, ZSet> z = new HashMap<>();
        zsets.forEach((k, v) -> z.put(k, v.copy()));
        Map<String, Map<String, String>> h = new HashMap<>();
        hashes.forEach((k, v) -> h.put(k, new HashMap<>(v)));
        return new Snapshot(z, h, new HashMap<>(expiresAt));
    }

    /**
     * Back to what {@code snapshot} held: the writes since are gone, as when Redis restarts from an AOF that lost its
     * last second, or a replica that lagged becomes the master. Keys whose time passed meanwhile expire as they are
     * touched.
     */
    public synchronized void rollBack(Object snapshot) {
        server = "server-" + (++restarts); // a process that came back from its files, or a replica
        Snapshot s = (Snapshot) snapshot;
        zsets.clear();
        s.zsets().forEach((k, v) -> zsets.put(k, v.copy()));
        hashes.clear();
        s.hashes().forEach((k, v) -> hashes.put(k, new HashMap<>(v)));
        expiresAt.clear();
        expiresAt.putAll(s.expiresAt());
    }

    private record Snapshot(
            Map<String, ZSet> zsets, Map<String, Map<String, String>> hashes, Map<String, Long> expiresAt) {}

    /** The keys of the account gone (a partial loss: the keys of one hash slot). */
    public synchronized void lose(AccountKeys a) {
        for (String key : List.of(
                a.state(),
                a.inFlight(),
                a.requests(),
                a.tokens(),
                a.limits(),
                a.waiting(),
                a.waitingUntil(),
                a.waitingTokens(),
                a.adaptive())) {
            zsets.remove(key);
            hashes.remove(key);
            expiresAt.remove(key);
        }
    }

    /** How many workers have a job published as waiting for the account: what the rest of the fleet sees. */
    public synchronized int published(AccountKeys a) {
        return zset(a.waiting()).size();
    }

    @Override
    public synchronized Decision acquire(AccountKeys a, AccountKeys.Declaration limits, Ask ask) {
        long now = clock.millis();
        ZSet declared = zset(a.limits());
        declared.add(limits.wire(), now + limits.ttlMillis());
        declared.removeUpTo(now);
        long conc = -1;
        List<long[]> reqs = new ArrayList<>();
        List<long[]> toks = new ArrayList<>();
        long maxRw = 0;
        long maxTw = 0;
        long quiet = 0; // after a loss, nothing is granted until what was sent before has left every sliding window
        for (String d : declared.members()) {
            Matcher m = DECLARATION.matcher(d);
            if (!m.matches()) {
                continue;
            }
            long c = Long.parseLong(m.group(1));
            long rn = Long.parseLong(m.group(2));
            long rw = Long.parseLong(m.group(3));
            long tn = Long.parseLong(m.group(4));
            long tw = Long.parseLong(m.group(5));
            if (c >= 0 && (conc < 0 || c < conc)) {
                conc = c;
            }
            if (rn >= 0) {
                reqs.add(new long[] {rn, rw});
                maxRw = Math.max(maxRw, rw);
                quiet = Math.max(quiet, rw);
            }
            if (tn >= 0) {
                toks.add(new long[] {tn, tw});
                maxTw = Math.max(maxTw, tw > 0 ? tw : DAY); // a daily quota keeps a day of entries
                quiet = Math.max(quiet, tw);
            }
        }
        Long adaptive = hashLong(a.adaptive(), "limit");
        if (adaptive != null && conc >= 0 && adaptive < conc) {
            conc = adaptive;
        }
        if (ask.sent() != null && !ask.sent().requestId().isEmpty() && !reqs.isEmpty()) {
            zset(a.requests())
                    .addGreater(ask.sent().requestId(), now - ask.sent().millisAgo());
            keep(a.requests(), now + maxRw + 1000);
        }
        if (ask.sent() != null && !ask.sent().tokenEntry().isEmpty() && !toks.isEmpty()) {
            zset(a.tokens())
                    .addGreater(ask.sent().tokenEntry(), now - ask.sent().millisAgo());
            keep(a.tokens(), now + maxTw + 1000);
        }

        Map<String, String> state = hash(a.state());
        String known = ask.knownEpoch();
        String epoch = state.get("epoch");
        if (epoch == null || !server.equals(state.get("server"))) {
            // gone, or made by another server process (a restart from its files, a replica that took over): as lost,
            // unless missing for a worker that knew none (a fresh start, unless told to wait)
            boolean lost = epoch != null || !known.isEmpty() || ask.quietOnNew();
            epoch = ask.newEpoch();
            remake(state, epoch, now, lost ? now + ask.restoreMillis() : 0, lost ? now + quiet : 0);
        } else if (!known.isEmpty() && !epoch.equals(known)) {
            extendQuiet(state, quiet);
        }
        if (!known.isEmpty() && !epoch.equals(known)) {
            return new Decision(Reason.EPOCH, 0, epoch, now);
        }
        long restoreUntil = Long.parseLong(state.get("restoreUntil"));
        if (now < restoreUntil) {
            return new Decision(Reason.REBUILDING, restoreUntil - now, epoch, now);
        }

        Waiting waiting = ask.waiting() == null || ask.waiting().workerId().isEmpty() ? null : ask.waiting();
        ZSet waitingRanks = zset(a.waiting());
        ZSet waitingUntil = zset(a.waitingUntil());
        Map<String, String> waitingTokens = hash(a.waitingTokens());
        long rank = 0;
        if (waiting != null) {
            for (String gone : waitingUntil.upTo(now)) {
                waitingRanks.remove(gone);
                waitingUntil.remove(gone);
                waitingTokens.remove(gone);
            }
            rank = now + waiting.urgencyMillis();
            waitingRanks.add(waiting.workerId(), rank);
            waitingUntil.add(waiting.workerId(), now + waiting.ttlMillis());
            waitingTokens.put(waiting.workerId(), Long.toString(waiting.tokens()));
        }

        long free = Long.MAX_VALUE;
        ZSet inFlight = zset(a.inFlight());
        inFlight.removeUpTo(now);
        if (ask.held()) {
            if (inFlight.score(ask.permitId()) == null) {
                return new Decision(Reason.LOST_PERMIT, 0, epoch, now);
            }
            if (conc >= 0) {
                int card = inFlight.size();
                if (card > conc) {
                    return new Decision(Reason.CONCURRENCY, 0, epoch, now);
                }
                free = conc - card + 1;
            }
        } else if (conc >= 0) {
            int card = inFlight.size();
            if (card >= conc) {
                return new Decision(Reason.CONCURRENCY, 0, epoch, now);
            }
            free = conc - card;
        }

        if (quiet > 0) {
            long quietUntil = Long.parseLong(state.get("quietUntil"));
            if (now < quietUntil) {
                return new Decision(Reason.REBUILDING, quietUntil - now, epoch, now);
            }
        }
        ZSet requests = zset(a.requests());
        if (!reqs.isEmpty()) {
            requests.removeUpTo(now - maxRw);
            for (long[] r : reqs) {
                List<Map.Entry<String, Double>> inWindow = requests.above(now - r[1]);
                long n = inWindow.size();
                if (n >= r[0]) {
                    double oldest = inWindow.get((int) (n - r[0])).getValue();
                    return new Decision(Reason.REQUESTS, (long) oldest + r[1] - now + 1, epoch, now);
                }
                free = Math.min(free, r[0] - n);
            }
        }

        long want = ask.tokens();
        ZSet tokens = zset(a.tokens());
        if (!toks.isEmpty() && want > 0) {
            tokens.removeUpTo(now - maxTw);
            long cap = Long.MAX_VALUE;
            for (long[] tk : toks) {
                cap = Math.min(cap, tk[0]);
            }
            want = Math.min(want, cap);
            long[] sums = new long[toks.size()];
            long dailyLeft = Long.MAX_VALUE;
            for (int i = 0; i < toks.size(); i++) {
                long[] tk = toks.get(i);
                boolean daily = tk[1] <= AccountKeys.Declaration.DAILY_FROM;
                // a sliding window counts the last tk[1] ms; a daily quota counts from the start of its day
                long dayStart =
                        daily ? now - Math.floorMod(now - (AccountKeys.Declaration.DAILY_FROM - tk[1]), DAY) : 0;
                List<Map.Entry<String, Double>> entries = daily ? tokens.from(dayStart) : tokens.above(now - tk[1]);
                long sum = entries.stream().mapToLong(e -> tokensOf(e.getKey())).sum();
                if (sum + want > tk[0]) {
                    if (daily) {
                        return new Decision(Reason.TOKENS, dayStart + DAY - now + 1, epoch, now);
                    }
                    long left = sum;
                    long at = tk[1];
                    for (Map.Entry<String, Double> e : entries) {
                        left -= tokensOf(e.getKey());
                        if (left + want <= tk[0]) {
                            at = (long) (double) e.getValue() + tk[1] - now + 1;
                            break;
                        }
                    }
                    return new Decision(Reason.TOKENS, at, epoch, now);
                }
                sums[i] = sum;
                if (daily) {
                    dailyLeft = Math.min(dailyLeft, tk[0] - sum);
                }
            }
            if (waiting != null) {
                // what more urgent jobs of other workers wait for is theirs on a sliding window; a daily quota frees
                // nothing before its day ends, and a job that no longer fits what is left of it keeps nothing
                long ahead = 0;
                for (String w : waitingRanks.membersBelow(rank - waiting.toleranceMillis())) {
                    long t = Math.min(cap, Long.parseLong(waitingTokens.getOrDefault(w, "0")));
                    if (t > 0 && t <= dailyLeft) {
                        ahead += t;
                    }
                }
                for (int i = 0; i < toks.size(); i++) {
                    long[] tk = toks.get(i);
                    boolean daily = tk[1] <= AccountKeys.Declaration.DAILY_FROM;
                    if (!daily && ahead > 0 && sums[i] + want + Math.min(ahead, tk[0]) > tk[0]) {
                        return new Decision(Reason.PRIORITY, 0, epoch, now);
                    }
                }
            }
        }

        if (waiting != null) {
            // fleet-wide priority: while the account has room for no more than the workers holding more urgent jobs
            long ahead = waitingRanks.below(rank - waiting.toleranceMillis());
            if (ahead > 0 && ahead >= free) {
                return new Decision(Reason.PRIORITY, 0, epoch, now);
            }
        }

        inFlight.add(ask.permitId(), now + ask.leaseMillis());
        if (!reqs.isEmpty()) {
            requests.add(ask.requestId(), now);
            expire(a.requests(), now + maxRw + 1000);
        }
        boolean recordsTokens = !toks.isEmpty() && want > 0;
        if (recordsTokens) {
            tokens.add(ask.requestId() + ":" + want, now);
            expire(a.tokens(), now + maxTw + 1000);
        }
        if (waiting != null) {
            if (waiting.nextUrgencyMillis() != null) {
                waitingRanks.add(waiting.workerId(), now + waiting.nextUrgencyMillis());
                waitingTokens.put(waiting.workerId(), Long.toString(waiting.nextTokens()));
            } else {
                waitingRanks.remove(waiting.workerId());
                waitingUntil.remove(waiting.workerId());
                waitingTokens.remove(waiting.workerId());
            }
        }
        return new Decision(
                Reason.GRANTED,
                0,
                epoch,
                now,
                !reqs.isEmpty(),
                recordsTokens ? want : 0,
                adaptive == null ? -1 : adaptive);
    }

    @Override
    public synchronized long adapt(
            AccountKeys a, boolean cut, int healthyCalls, int ceiling, long grantedAtMillis, int factorPermille) {
        long now = clock.millis();
        long keep = 600_000;
        Map<String, String> state = hash(a.adaptive());
        long limit = state.containsKey("limit") ? Long.parseLong(state.get("limit")) : ceiling;
        limit = Math.min(limit, ceiling);
        if (cut) {
            long cutAt = state.containsKey("cutAt") ? Long.parseLong(state.get("cutAt")) : 0;
            if (grantedAtMillis >= cutAt) {
                long hurt = limit;
                limit = Math.max(1, Math.floorDiv(limit * factorPermille, 1000));
                state.put("limit", Long.toString(limit));
                state.put("healthy", "0");
                state.put("cutAt", Long.toString(now));
                state.put("hurt", Long.toString(hurt));
                expire(a.adaptive(), now + keep);
            }
        } else if (limit < ceiling && 2 * zset(a.inFlight()).above(now).size() >= limit) {
            long healthy = (state.containsKey("healthy") ? Long.parseLong(state.get("healthy")) : 0) + healthyCalls;
            state.put("healthy", Long.toString(healthy));
            long hurt = state.containsKey("hurt") ? Long.parseLong(state.get("hurt")) : ceiling + 1;
            long rounds = limit + 1 >= hurt ? 32 : 4; // up to the level that drew the last cut and past it: slowly
            if (healthy >= rounds * limit) {
                limit++;
                state.put("limit", Long.toString(limit));
                state.put("healthy", "0");
                if (limit > hurt) {
                    state.remove("hurt");
                }
                expire(a.adaptive(), now + keep);
            }
        }
        if (limit >= ceiling) {
            hashes.remove(a.adaptive()); // at the ceiling: nothing to keep
            expiresAt.remove(a.adaptive());
        }
        return limit;
    }

    @Override
    public synchronized void charge(AccountKeys a, String grantedEntry, String usedEntry) {
        ZSet tokens = zset(a.tokens());
        Double at = tokens.score(grantedEntry);
        if (at != null) {
            tokens.remove(grantedEntry);
            tokens.add(usedEntry, at);
        }
    }

    @Override
    public void release(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String permitId,
            String unsentRequestId,
            String unsentTokenEntry,
            Sent sent) {
        int freed = 0;
        synchronized (this) {
            long now = clock.millis();
            if (sent != null && !sent.requestId().isEmpty()) {
                zset(a.requests()).addGreater(sent.requestId(), now - sent.millisAgo());
                keep(a.requests(), now + limits.requestKeepMillis());
            }
            if (sent != null && !sent.tokenEntry().isEmpty()) {
                zset(a.tokens()).addGreater(sent.tokenEntry(), now - sent.millisAgo());
                keep(a.tokens(), now + limits.tokenKeepMillis());
            }
            if (permitId != null && zset(a.inFlight()).remove(permitId)) {
                freed++;
            }
            if (unsentRequestId != null && zset(a.requests()).remove(unsentRequestId)) {
                freed++;
            }
            if (unsentTokenEntry != null && zset(a.tokens()).remove(unsentTokenEntry)) {
                freed++;
            }
        }
        if (freed > 0 && !listeners.isEmpty()) {
            // as pub/sub: announced later, on a thread of its own, in order, outside the store's lock
            announcer.execute(() -> listeners.forEach(l -> l.accept(a.accountId())));
        }
    }

    @Override
    public synchronized String restore(
            AccountKeys a,
            AccountKeys.Declaration limits,
            String knownEpoch,
            String newEpoch,
            Map<String, Long> permits,
            long restoreMillis) {
        long now = clock.millis();
        long window = limits.quietMillis();
        Map<String, String> state = hash(a.state());
        String epoch = state.get("epoch");
        if (epoch == null || !server.equals(state.get("server"))) {
            epoch = newEpoch;
            remake(state, epoch, now, now + restoreMillis, now + window);
        } else if (!epoch.equals(knownEpoch)) {
            extendQuiet(state, window);
        }
        if (epoch.equals(knownEpoch)) {
            return epoch;
        }
        ZSet inFlight = zset(a.inFlight());
        permits.forEach((id, left) -> inFlight.addIfAbsent(id, now + left));
        return epoch;
    }

    @Override
    public synchronized Usage usage(AccountKeys a, AccountKeys.Declaration limits) {
        long now = clock.millis();
        long inFlight = zset(a.inFlight()).above(now).size();
        long requests = limits.requestWindowMillis() >= 0
                ? zset(a.requests()).above(now - limits.requestWindowMillis()).size()
                : 0;
        long tokens = 0;
        long tw = limits.tokenWindowMillis();
        if (tw >= 0 || tw <= AccountKeys.Declaration.DAILY_FROM) {
            List<Map.Entry<String, Double>> entries = tw <= AccountKeys.Declaration.DAILY_FROM
                    ? zset(a.tokens()).from(now - Math.floorMod(now - (AccountKeys.Declaration.DAILY_FROM - tw), DAY))
                    : zset(a.tokens()).above(now - tw);
            tokens = entries.stream().mapToLong(e -> tokensOf(e.getKey())).sum();
        }
        long rebuilding = 0;
        Map<String, String> state = hashIfPresent(a.state());
        if (state != null) {
            for (String field : List.of("restoreUntil", "quietUntil")) {
                if (state.containsKey(field)) {
                    rebuilding = Math.max(rebuilding, Long.parseLong(state.get(field)) - now);
                }
            }
        }
        return new Usage(inFlight, requests, tokens, rebuilding);
    }

    @Override
    public synchronized void declare(AccountKeys a, AccountKeys.Declaration limits) {
        long now = clock.millis();
        ZSet declared = zset(a.limits());
        declared.add(limits.wire(), now + limits.ttlMillis());
        declared.removeUpTo(now);
    }

    @Override
    public synchronized void publishWaiting(AccountKeys a, String workerId, Waiting waiting) {
        if (waiting == null) {
            zset(a.waiting()).remove(workerId);
            zset(a.waitingUntil()).remove(workerId);
            hash(a.waitingTokens()).remove(workerId);
            return;
        }
        long now = clock.millis();
        zset(a.waiting()).add(workerId, now + waiting.urgencyMillis());
        zset(a.waitingUntil()).add(workerId, now + waiting.ttlMillis());
        hash(a.waitingTokens()).put(workerId, Long.toString(waiting.tokens()));
    }

    @Override
    public AutoCloseable onRelease(Consumer<String> released) {
        listeners.add(released);
        return () -> listeners.remove(released);
    }

    /** The state made afresh by this server: a new epoch, until when live workers put back permits, the quiet period. */
    private void remake(Map<String, String> state, String epoch, long now, long restoreUntil, long quietUntil) {
        state.put("epoch", epoch);
        state.put("born", Long.toString(now));
        state.put("restoreUntil", Long.toString(restoreUntil));
        state.put("quietUntil", Long.toString(quietUntil));
        state.put("server", server);
    }

    private void extendQuiet(Map<String, String> state, long window) {
        long born = Long.parseLong(state.get("born"));
        if (born + window > Long.parseLong(state.get("quietUntil"))) {
            state.put("quietUntil", Long.toString(born + window));
        }
    }

    private static long tokensOf(String entry) {
        Matcher m = TOKENS.matcher(entry);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private void expire(String key, long atMillis) {
        expiresAt.put(key, atMillis);
    }

    /** Makes the key live at least until {@code atMillis} (never shortening it), as the scripts' {@code keep}. */
    private void keep(String key, long atMillis) {
        expiresAt.merge(key, atMillis, Math::max);
    }

    /**
     * Drops the key if its time has passed (Redis: expired once its time is in the past), or if it was emptied (Redis
     * deletes an empty sorted set or hash, and its expiry with it), as Redis does when a key is touched.
     */
    private void expireIfDue(String key) {
        Long at = expiresAt.get(key);
        ZSet z = zsets.get(key);
        Map<String, String> h = hashes.get(key);
        boolean empty = (z != null && z.size() == 0) || (h != null && h.isEmpty());
        if (empty || (at != null && clock.millis() > at)) {
            zsets.remove(key);
            hashes.remove(key);
            expiresAt.remove(key);
        }
    }

    private ZSet zset(String key) {
        expireIfDue(key);
        return zsets.computeIfAbsent(key, k -> new ZSet());
    }

    private Map<String, String> hash(String key) {
        expireIfDue(key);
        return hashes.computeIfAbsent(key, k -> new HashMap<>());
    }

    private Map<String, String> hashIfPresent(String key) {
        expireIfDue(key);
        return hashes.get(key);
    }

    private Long hashLong(String key, String field) {
        Map<String, String> h = hashIfPresent(key);
        return h == null || !h.containsKey(field) ? null : Long.parseLong(h.get(field));
    }

    /** A sorted set: members by score, ties by member (as Redis orders them). */
    private static final class ZSet {
        private static final Comparator<Map.Entry<String, Double>> ORDER =
                Map.Entry.<String, Double>comparingByValue().thenComparing(Map.Entry.comparingByKey());
        private final Map<String, Double> scores = new HashMap<>();

        ZSet copy() {
            ZSet c = new ZSet();
            c.scores.putAll(scores);
            return c;
        }

        void add(String member, double score) {
            scores.put(member, score);
        }

        /** ZADD GT: a new member is added; an existing one moves only to a greater score. */
        void addGreater(String member, double score) {
            scores.merge(member, score, Math::max);
        }

        /** ZADD NX. */
        void addIfAbsent(String member, double score) {
            scores.putIfAbsent(member, score);
        }

        boolean remove(String member) {
            return scores.remove(member) != null;
        }

        Double score(String member) {
            return scores.get(member);
        }

        int size() {
            return scores.size();
        }

        List<String> members() {
            return sorted().stream().map(Map.Entry::getKey).toList();
        }

        /** ZREMRANGEBYSCORE -inf max. */
        void removeUpTo(double max) {
            scores.values().removeIf(s -> s <= max);
        }

        /** Members scored -inf..max, inclusive. */
        List<String> upTo(double max) {
            return sorted().stream()
                    .filter(e -> e.getValue() <= max)
                    .map(Map.Entry::getKey)
                    .toList();
        }

        /** Entries scored above {@code min} (exclusive), in order. */
        List<Map.Entry<String, Double>> above(double min) {
            return sorted().stream().filter(e -> e.getValue() > min).toList();
        }

        /** Entries scored from {@code min} (inclusive), in order. */
        List<Map.Entry<String, Double>> from(double min) {
            return sorted().stream().filter(e -> e.getValue() >= min).toList();
        }

        /** Members scored below {@code max} (exclusive). */
        List<String> membersBelow(double max) {
            return sorted().stream()
                    .filter(e -> e.getValue() < max)
                    .map(Map.Entry::getKey)
                    .toList();
        }

        /** How many are scored below {@code max} (exclusive). */
        long below(double max) {
            return scores.values().stream().filter(s -> s < max).count();
        }

        private List<Map.Entry<String, Double>> sorted() {
            return scores.entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), e.getValue()))
                    .sorted(ORDER)
                    .toList();
        }
    }
}
