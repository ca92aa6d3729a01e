package dev.llmdispatch.simulator;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The exact limit bookkeeping of one account: a sliding log of admitted arrivals (a request is admitted
 * when fewer than {@code requests} were admitted in the {@code per} before it) and an in-flight count.
 * A refused request takes no place in the window. All under one lock: admission is exact.
 */
final class AccountState {

    /** Why a call was refused by the account's limits. */
    enum Refusal {
        RATE_LIMIT,
        CONCURRENCY
    }

    /** The admission decision: admitted, or refused with a wait hint. */
    record Admission(Refusal refusal, long retryAfterNanos) {
        static final Admission ADMITTED = new Admission(null, 0);

        boolean admitted() {
            return refusal == null;
        }
    }

    final SimAccount account;
    private final long windowNanos;
    private final ArrayDeque<Long> window = new ArrayDeque<>();
    private int inFlight;
    private int maxInFlight;
    private int maxInWindow;
    private final Map<String, Long> outcomes = new TreeMap<>();
    private long received;

    AccountState(SimAccount account) {
        this.account = account;
        this.windowNanos = account.requests() > 0 ? account.window().toNanos() : 0;
    }

    synchronized Admission admit(long nowNanos) {
        received++;
        if (account.concurrency() > 0 && inFlight >= account.concurrency()) {
            return new Admission(Refusal.CONCURRENCY, 0);
        }
        if (windowNanos > 0) {
            while (!window.isEmpty() && window.peekFirst() <= nowNanos - windowNanos) {
                window.pollFirst();
            }
            if (window.size() >= account.requests()) {
                return new Admission(Refusal.RATE_LIMIT, window.peekFirst() + windowNanos - nowNanos);
            }
            window.addLast(nowNanos);
            maxInWindow = Math.max(maxInWindow, window.size());
        }
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return Admission.ADMITTED;
    }

    /** Calls admitted and not yet answered. */
    synchronized int inFlight() {
        return inFlight;
    }

    /** Ends an admitted call: called before its answer is written, so a client that saw the answer finds capacity. */
    synchronized void finish() {
        inFlight--;
    }

    synchronized void count(String outcome) {
        outcomes.merge(outcome, 1L, Long::sum);
    }

    synchronized Map<String, Object> stats() {
        long admitted = received
                - outcomes.getOrDefault(CallLog.RATE_LIMITED, 0L)
                - outcomes.getOrDefault(CallLog.CONCURRENCY_LIMITED, 0L)
                - outcomes.getOrDefault(CallLog.UNAUTHORIZED, 0L);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("requestsLimit", account.requests());
        s.put("per", account.requests() > 0 ? account.window().toMillis() + "ms" : null);
        s.put("concurrencyLimit", account.concurrency());
        s.put("received", received);
        s.put("admitted", admitted);
        s.put("succeeded", outcomes.getOrDefault(CallLog.OK, 0L));
        s.put("rejectedRateLimit", outcomes.getOrDefault(CallLog.RATE_LIMITED, 0L));
        s.put("rejectedConcurrency", outcomes.getOrDefault(CallLog.CONCURRENCY_LIMITED, 0L));
        s.put("outcomes", new TreeMap<>(outcomes));
        s.put("inFlight", inFlight);
        s.put("maxInFlight", maxInFlight);
        s.put("maxInWindow", maxInWindow);
        return s;
    }

    synchronized void reset() {
        window.clear();
        outcomes.clear();
        received = 0;
        maxInFlight = inFlight;
        maxInWindow = 0;
    }
}
