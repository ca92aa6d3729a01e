package dev.llmdispatch.dispatch.internal.capacity;

import dev.llmdispatch.dispatch.AccountUsage;
import dev.llmdispatch.dispatch.TestSettings;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.Balance;
import dev.llmdispatch.dispatch.config.Capability;
import dev.llmdispatch.dispatch.config.CapacitySettings;
import dev.llmdispatch.dispatch.config.Limits;
import dev.llmdispatch.dispatch.config.ProviderSettings;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.spi.AccountKeys;
import dev.llmdispatch.time.ManualTime;
import dev.llmdispatch.time.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;

/**
 * The fleet's capacity promise in a deterministic simulation, as FoundationDB and TigerBeetle test theirs: workers
 * made of the real {@link CapacityGate}, {@link AccountCapacity} and {@link Lease} over the in-memory capacity store
 * (held to the Redis scripts by {@link CapacityStoreContract}), one simulated clock, one seeded random source, and a
 * strict provider that counts every request when it arrives. Everything that happens is an event on one queue, run
 * one at a time in time order; the seed draws the fleet, the limits, the jobs and the faults, so a seed replays
 * exactly.
 *
 * <p>Faults drawn from the seed: a worker killed ({@code kill -9}: its calls cut, its jobs redelivered to the others
 * after a session timeout, a new worker joining later); a worker paused (GC, CPU throttling) at any point, its events
 * held until it resumes; a JVM starved between the grant and the write, or between the write and the request leaving;
 * Redis flushed (restart without persistence), one account's keys lost, or Redis rolled back by up to two seconds (an
 * AOF restart that lost its last second, a lagging replica promoted); provider latency past the call's timeout.
 *
 * <p>Invariants, checked at every step: no account is ever over any of its limits at the provider (in flight,
 * requests in any window, tokens in any window), counted at arrival; every job is answered exactly once; no job waits
 * beyond a bound. What the model assumes is stated where it is modelled: the network between the written request and
 * the provider takes no longer than half the window guard (the guard is sized for that); a provider stops a call when its
 * client disconnects.
 */
final class FleetSimulation {

    /**
     * Which faults beyond those the fleet promises to survive are drawn too. Each turns on a hole still open (named in
     * docs/guarantees.md), so that its seeds can be found and replayed: {@code pausesPastLease}, a worker paused longer
     * than its permits' lease margin while its calls are open (the provider still works on them when the lease ends);
     * {@code starvedPastWindow}, a JVM starved between the send check and the request leaving for longer than the
     * request window (its place in the window is moved to when it left only once it has).
     */
    record Faults(boolean pausesPastLease, boolean starvedPastWindow) {
        /** The faults the fleet promises to survive. */
        static final Faults PROMISED = new Faults(false, false);

        /** From a list such as {@code "pausesPastLease,starvedPastWindow"} (empty: {@link #PROMISED}). */
        static Faults parse(String names) {
            List<String> on = List.of(names.split("\\s*,\\s*"));
            for (String name : on) {
                if (!name.isEmpty()
                        && !List.of("pausesPastLease", "starvedPastWindow").contains(name)) {
                    throw new IllegalArgumentException(
                            "unknown fault '" + name + "': known are pausesPastLease, starvedPastWindow");
                }
            }
            return new Faults(on.contains("pausesPastLease"), on.contains("starvedPastWindow"));
        }
    }

    /** What a run found. */
    record Result(long seed, List<String> violations, List<String> trace, Stats stats) {
        boolean passed() {
            return violations.isEmpty();
        }

        /** One line: the seed, what broke, and the faults before it. */
        String summary() {
            List<String> drawn = trace.stream()
                    .filter(l -> l.contains("FAULT"))
                    .map(l -> l.substring(l.indexOf("FAULT") + 6))
                    .toList();
            return "seed " + seed + ": " + String.join("; ", violations) + " [faults: " + String.join(", ", drawn)
                    + "]";
        }

        /** The failure, readable: the seed, what broke, and the trace that led there. */
        String report(int lastLines) {
            StringBuilder b = new StringBuilder();
            b.append("seed ")
                    .append(seed)
                    .append(": ")
                    .append(String.join("; ", violations))
                    .append('\n');
            b.append("replay: bin/simulate --seed ").append(seed).append('\n');
            int from = Math.max(0, trace.size() - lastLines);
            if (from > 0) {
                b.append("  ... ").append(from).append(" earlier steps\n");
            }
            for (String line : trace.subList(from, trace.size())) {
                b.append("  ").append(line).append('\n');
            }
            return b.toString();
        }
    }

    record Stats(int workers, int jobs, int answered, int calls, int faults, long simulatedMillis) {}

    /** The longest a simulated run may take before its unanswered jobs count as stalled. */
    static final long HORIZON_MILLIS = 600_000;

    private final long seed;
    private final Random random;
    private final Faults faults;
    private final ManualTime time = new ManualTime(Instant.parse("2026-03-01T00:00:00Z"));
    private final InMemoryCapacityStore store = new InMemoryCapacityStore(time.clock());
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private final List<String> trace = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final Map<String, ProviderAccount> provider = new LinkedHashMap<>();
    private final Map<String, Candidate> candidates = new LinkedHashMap<>();
    private final List<SimWorker> workers = new ArrayList<>();
    private final List<SimJob> jobs = new ArrayList<>();
    private final Deque<SimJob> pending = new ArrayDeque<>();
    private final Deque<Map.Entry<Long, Object>> snapshots = new ArrayDeque<>();
    private final Map<String, ProviderSettings> providers = new LinkedHashMap<>();
    private CapacitySettings settings;
    private long timeoutMillis;
    /** The shortest request window of any account (ms). */
    private long shortestWindow = Long.MAX_VALUE;

    private long seq;
    private int calls;
    private int faultCount;
    private int workerNames;

    private FleetSimulation(long seed, Faults faults) {
        this.seed = seed;
        this.random = new Random(seed);
        this.faults = faults;
    }

    static Result run(long seed) {
        return run(seed, Faults.PROMISED);
    }

    static Result run(long seed, Faults faults) {
        return new FleetSimulation(seed, faults).simulate();
    }

    // ---- the world -------------------------------------------------------------------------------------------------

    private Result simulate() {
        timeoutMillis = between(1_500, 3_000);
        long guard = between(20, 200);
        long margin = between(guard + 300, 4_000);
        settings = new CapacitySettings(
                "sim",
                Duration.ofMillis(guard),
                Duration.ofMillis(margin),
                Duration.ofMillis(25),
                Duration.ofMillis(between(1_000, 2_000)),
                true,
                null,
                null);
        // three accounts, one of each kind of limit the providers have
        account(
                "nvidia",
                "nvidia-1",
                Limits.of(
                        (int) between(2, 6), Duration.ofMillis(between(500, 2_000)), (int) between(2, 4), null, null));
        account("hunyuan", "hunyuan-1", Limits.of(null, null, (int) between(1, 4), null, null));
        account(
                "siliconflow",
                "siliconflow-1",
                Limits.of(
                        null,
                        null,
                        (int) between(3, 6),
                        between(2_000, 6_000),
                        Duration.ofMillis(between(1_000, 4_000))));
        trace(
                "fleet: timeout %d ms, guard %d ms, lease margin %d ms, restore wait %d ms",
                timeoutMillis, guard, margin, settings.restoreWait().toMillis());
        provider.values().forEach(a -> trace("account %s: %s", a.id, a.limits));

        int fleet = (int) between(2, 4);
        for (int i = 0; i < fleet; i++) {
            join();
        }
        int count = (int) between(30, 120);
        long spread = between(2_000, 20_000);
        for (int i = 0; i < count; i++) {
            SimJob job = newJob(i);
            jobs.add(job);
            at(between(0, spread), null, () -> arrive(job));
        }
        int faultsDrawn = (int) between(0, 6);
        for (int i = 0; i < faultsDrawn; i++) {
            at(between(0, spread + 5_000), null, this::fault);
        }
        at(100, null, this::snapshotTick);

        while (!events.isEmpty() && violations.isEmpty()) {
            Event e = events.poll();
            if (e.at > HORIZON_MILLIS) {
                break;
            }
            long now = now();
            if (e.at > now) {
                time.advance(Duration.ofMillis(e.at - now));
            }
            if (e.worker != null) {
                if (!e.worker.alive) {
                    continue; // a killed worker does nothing more
                }
                if (e.worker.pausedUntil > now()) {
                    at(e.worker.pausedUntil - now(), e.worker, e.action); // held until the pause ends, in order
                    continue;
                }
            }
            e.action.run();
            if (jobs.stream().allMatch(j -> j.answers > 0)) {
                break;
            }
        }
        long unanswered = jobs.stream().filter(j -> j.answers == 0).count();
        if (violations.isEmpty() && unanswered > 0) {
            violation(
                    "stalled: %d of %d jobs unanswered after %d s (first: %s)",
                    unanswered,
                    jobs.size(),
                    now() / 1000,
                    jobs.stream().filter(j -> j.answers == 0).findFirst().orElseThrow());
        }
        int answered = (int) jobs.stream().filter(j -> j.answers > 0).count();
        return new Result(
                seed,
                List.copyOf(violations),
                List.copyOf(trace),
                new Stats(workerNames, jobs.size(), answered, calls, faultCount, now()));
    }

    private void account(String name, String id, Limits limits) {
        AccountSettings account = new AccountSettings(id, "sim-key-" + id, limits, null);
        ProviderSettings p = new ProviderSettings(
                "http://" + id + ".invalid",
                Set.of(Capability.CHAT, Capability.THINKING, Capability.EMBEDDING),
                1_000_000,
                Map.of("chat", id + "-model", "embedding", id + "-embed"),
                Map.of(),
                Map.of(),
                Balance.ORDERED,
                Duration.ofMillis(timeoutMillis),
                List.of(account));
        providers.put(name, p);
        candidates.put(id, new Candidate(name, p, account));
        provider.put(id, new ProviderAccount(id, limits));
        // a request starved past a window, of requests or of tokens, is starvedPastWindow: beyond the promise
        if (limits.per() != null) {
            shortestWindow = Math.min(shortestWindow, limits.per().toMillis());
        }
        if (limits.tokensPer() != null) {
            shortestWindow = Math.min(shortestWindow, limits.tokensPer().toMillis());
        }
    }

    private SimJob newJob(int id) {
        List<String> route = new ArrayList<>(candidates.keySet());
        Collections.shuffle(route, random);
        route = route.subList(0, (int) between(1, route.size()));
        int prompt = (int) between(20, 600);
        int maxTokens = (int) between(20, 600);
        int answer = (int) between(1, maxTokens);
        return new SimJob(id, List.copyOf(route), prompt, maxTokens, answer);
    }

    private void join() {
        SimWorker w = new SimWorker("w" + (++workerNames), (int) between(1, 4));
        long offset = between(0, 1_000_000) * 1_000_000L; // each JVM's monotonic clock has its own origin
        Ticker ticker = () -> time.nanos() + offset;
        w.gate = new CapacityGate(store, TestSettings.settings(providers), settings, time.clock(), null, ticker, d -> {
            throw new IllegalStateException("the simulation runs no granter");
        });
        w.gate.background = Runnable::run;
        workers.add(w);
        trace("%s joins (%d jobs at a time)", w.name, w.maxJobs);
        long every = settings.syncInterval().toMillis();
        at(between(0, every), w, () -> sync(w, every));
        take();
    }

    // ---- workers ---------------------------------------------------------------------------------------------------

    private void arrive(SimJob job) {
        pending.add(job);
        take();
    }

    /** Live workers with room take the pending jobs (Kafka hands each partition's records to one consumer). */
    private void take() {
        for (SimWorker w : workers) {
            while (w.alive && w.jobs.size() < w.maxJobs && !pending.isEmpty()) {
                SimJob job = pending.poll();
                w.jobs.add(job);
                at(between(0, 5), w, () -> tryAcquire(w, job));
            }
        }
    }

    private void tryAcquire(SimWorker w, SimJob job) {
        if (!w.jobs.contains(job)) {
            return;
        }
        for (String accountId : job.route) {
            Lease lease = w.gate.tryAcquireNow(candidates.get(accountId), job.estimate());
            if (lease != null) {
                AccountUsage u = w.gate.usage(accountId);
                trace(
                        "%s %s granted on %s (the store holds %d in flight, %d requests, %d tokens)",
                        w.name, job, accountId, u.inFlight(), u.requestsInWindow(), u.tokensInWindow());
                at(pause(), w, () -> write(w, job, lease));
                return;
            }
        }
        at(between(5, 60), w, () -> tryAcquire(w, job));
    }

    /** The HTTP client builds the headers and asks whether the request may still go; the call's deadline starts. */
    private void write(SimWorker w, SimJob job, Lease lease) {
        if (!lease.mayWrite()) {
            trace(
                    "%s %s grant on %s too old to write (%d ms): given back",
                    w.name, job, lease.candidate().accountId(), lease.ageNanos() / 1_000_000);
            lease.unsend();
            at(1, w, () -> tryAcquire(w, job));
            return;
        }
        Call call = new Call(++calls, w, job, lease, now());
        w.calls.add(call);
        at(timeoutMillis, w, () -> deadline(call));
        long longest = faults.starvedPastWindow() ? timeoutMillis / 2 : Math.min(timeoutMillis / 2, shortestWindow);
        long starved = random.nextInt(20) == 0 ? between(0, longest) : between(0, 3);
        at(starved, w, () -> left(call));
    }

    /** The client took the body: the request is on the wire and reaches the provider within half the guard. */
    private void left(Call call) {
        if (call.over) {
            return;
        }
        call.lease.left();
        call.left = true;
        long network = between(0, settings.windowGuard().toMillis() / 2);
        at(network, null, () -> provider.get(call.account()).arrive(call));
    }

    private void deadline(Call call) {
        if (call.over) {
            return;
        }
        trace("%s %s call %d on %s timed out", call.worker.name, call.job, call.id, call.account());
        end(call);
        call.lease.closeKeepingPermit();
        at(between(10, 200), call.worker, () -> tryAcquire(call.worker, call.job));
    }

    private void answered(Call call) {
        if (call.over) {
            return;
        }
        end(call);
        call.lease.charge(call.job.prompt + call.job.answer);
        call.lease.close();
        SimJob job = call.job;
        job.answers++;
        if (job.answers > 1) {
            violation("%s answered %d times", job, job.answers);
        }
        call.worker.jobs.remove(job);
        trace("%s %s answered by call %d on %s", call.worker.name, job, call.id, call.account());
        take();
    }

    /** The client is done with the call: the provider stops working on it if it still was. */
    private void end(Call call) {
        call.over = true;
        call.worker.calls.remove(call);
        provider.get(call.account()).disconnected(call);
    }

    private void sync(SimWorker w, long every) {
        w.gate.syncAll();
        at(every, w, () -> sync(w, every));
    }

    // ---- faults ----------------------------------------------------------------------------------------------------

    private void fault() {
        faultCount++;
        List<SimWorker> alive = workers.stream().filter(w -> w.alive).toList();
        int kind = random.nextInt(6);
        if (alive.isEmpty() && kind <= 1) {
            kind = 5; // nobody left to kill or pause: one joins
        }
        switch (kind) {
            case 0 -> {
                SimWorker w = alive.get(random.nextInt(alive.size()));
                trace("FAULT kill -9 %s (%d calls cut, %d jobs back to Kafka)", w.name, w.calls.size(), w.jobs.size());
                w.alive = false;
                List.copyOf(w.calls).forEach(this::end);
                List<SimJob> back = List.copyOf(w.jobs);
                w.jobs.clear();
                at(between(1_000, 3_000), null, () -> {
                    trace("rebalance: %d jobs of %s redelivered", back.size(), w.name);
                    back.forEach(pending::addFirst);
                    take();
                });
                at(between(0, 5_000), null, this::join);
            }
            case 1 -> {
                SimWorker w = alive.get(random.nextInt(alive.size()));
                // within the promise, a pause is shorter than the lease margin (a permit's lease covers its call),
                // and a request checked but not yet on its way is not held past the shortest window (that is
                // starvedPastWindow)
                long longest = faults.pausesPastLease()
                        ? 8_000
                        : settings.leaseMargin().toMillis() - 50;
                if (!faults.starvedPastWindow()) {
                    for (Call c : w.calls) {
                        if (!c.left) {
                            longest = Math.min(longest, c.writtenAt + shortestWindow - now());
                        }
                    }
                }
                if (longest < 50) {
                    break;
                }
                long pause = between(50, longest);
                trace("FAULT %s paused %d ms (%d calls open)", w.name, pause, w.calls.size());
                w.pausedUntil = Math.max(w.pausedUntil, now() + pause);
            }
            case 2 -> {
                trace("FAULT Redis restarted empty");
                store.loseEverything();
            }
            case 3 -> {
                String id = new ArrayList<>(candidates.keySet()).get(random.nextInt(candidates.size()));
                trace("FAULT Redis lost the keys of account %s", id);
                store.lose(AccountKeys.of(settings.keyPrefix(), id));
            }
            case 4 -> {
                long back = between(100, 2_000);
                Map.Entry<Long, Object> to = null;
                for (Map.Entry<Long, Object> s : snapshots) {
                    if (s.getKey() <= now() - back) {
                        to = s;
                    }
                }
                if (to != null) {
                    trace("FAULT Redis rolled back %d ms", now() - to.getKey());
                    store.rollBack(to.getValue());
                }
            }
            default -> {
                trace("FAULT a worker joins");
                join();
            }
        }
    }

    private void snapshotTick() {
        snapshots.addLast(Map.entry(now(), store.snapshot()));
        while (snapshots.size() > 30) {
            snapshots.removeFirst();
        }
        if (jobs.stream().anyMatch(j -> j.answers == 0)) {
            at(100, null, this::snapshotTick);
        }
    }

    /** A pause of the JVM between two steps: mostly none, sometimes a GC or a starved thread. */
    private long pause() {
        int r = random.nextInt(100);
        if (r < 80) {
            return between(0, 2);
        }
        if (r < 97) {
            return between(2, 200);
        }
        return between(200, settings.leaseMargin().toMillis() + 500);
    }

    // ---- the provider: counts at arrival, as providers do -----------------------------------------------------------

    private final class ProviderAccount {
        final String id;
        final Limits limits;
        final List<Call> inFlight = new ArrayList<>();
        final Deque<long[]> arrivals = new ArrayDeque<>(); // [at, tokens]

        ProviderAccount(String id, Limits limits) {
            this.id = id;
            this.limits = limits;
        }

        void arrive(Call call) {
            long now = now();
            if (call.over) {
                trace("provider %s: call %d arrives after its client left", id, call.id);
            }
            long tokens = call.job.prompt + call.job.answer;
            arrivals.addLast(new long[] {now, tokens});
            long keep = Math.max(
                    limits.per() == null ? 0 : limits.per().toMillis(),
                    limits.tokensPer() == null ? 0 : limits.tokensPer().toMillis());
            while (!arrivals.isEmpty() && arrivals.peekFirst()[0] <= now - keep) {
                arrivals.removeFirst();
            }
            if (!call.over) {
                inFlight.add(call);
                long latency =
                        random.nextInt(10) == 0 ? between(timeoutMillis / 2, timeoutMillis * 2) : between(5, 400);
                at(latency, null, () -> finish(call));
            }
            trace("provider %s: call %d (%s) arrives; %d in flight", id, call.id, call.job, inFlight.size());
            if (limits.concurrency() != null && inFlight.size() > limits.concurrency()) {
                violation(
                        "account %s over its concurrency at the provider: %d in flight, limit %d",
                        id, inFlight.size(), limits.concurrency());
            }
            if (limits.requests() != null) {
                long window = limits.per().toMillis();
                long n = arrivals.stream().filter(a -> a[0] > now - window).count();
                if (n > limits.requests()) {
                    violation(
                            "account %s over its request limit at the provider: %d requests in %d ms, limit %d",
                            id, n, window, limits.requests());
                }
            }
            if (limits.tokens() != null) {
                long window = limits.tokensPer().toMillis();
                long sum = arrivals.stream()
                        .filter(a -> a[0] > now - window)
                        .mapToLong(a -> a[1])
                        .sum();
                if (sum > limits.tokens()) {
                    violation(
                            "account %s over its token quota at the provider: %d tokens in %d ms, quota %d",
                            id, sum, window, limits.tokens());
                }
            }
        }

        void finish(Call call) {
            if (!inFlight.remove(call)) {
                return; // its client left first
            }
            at(between(0, 5), call.worker, () -> answered(call));
        }

        void disconnected(Call call) {
            inFlight.remove(call);
        }
    }

    // ---- plumbing --------------------------------------------------------------------------------------------------

    private static final class SimWorker {
        final String name;
        final int maxJobs;
        final List<SimJob> jobs = new ArrayList<>();
        final List<Call> calls = new ArrayList<>();
        CapacityGate gate;
        boolean alive = true;
        long pausedUntil;

        SimWorker(String name, int maxJobs) {
            this.name = name;
            this.maxJobs = maxJobs;
        }
    }

    private static final class SimJob {
        final int id;
        final List<String> route;
        final int prompt;
        final int maxTokens;
        final int answer;
        int answers;

        SimJob(int id, List<String> route, int prompt, int maxTokens, int answer) {
            this.id = id;
            this.route = route;
            this.prompt = prompt;
            this.maxTokens = maxTokens;
            this.answer = answer;
        }

        /** What the worker asks the token window for: the prompt and the answer it allows (PromptSize.totalTokens). */
        long estimate() {
            return prompt + maxTokens;
        }

        @Override
        public String toString() {
            return "job " + id;
        }
    }

    private static final class Call {
        final int id;
        final SimWorker worker;
        final SimJob job;
        final Lease lease;
        final long writtenAt;
        boolean over;
        boolean left;

        Call(int id, SimWorker worker, SimJob job, Lease lease, long writtenAt) {
            this.id = id;
            this.worker = worker;
            this.job = job;
            this.lease = lease;
            this.writtenAt = writtenAt;
        }

        String account() {
            return lease.candidate().accountId();
        }
    }

    private record Event(long at, long seq, SimWorker worker, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    private void at(long afterMillis, SimWorker worker, Runnable action) {
        events.add(new Event(now() + Math.max(0, afterMillis), ++seq, worker, action));
    }

    private long now() {
        return time.nanos() / 1_000_000;
    }

    private long between(long from, long to) {
        return to <= from ? from : from + (long) (random.nextDouble() * (to - from + 1));
    }

    private void trace(String format, Object... args) {
        trace.add(String.format("%8d ms  ", now()) + String.format(format, args));
    }

    private void violation(String format, Object... args) {
        String v = String.format(format, args);
        trace("VIOLATION " + v);
        violations.add("at " + now() + " ms: " + v);
    }
}
