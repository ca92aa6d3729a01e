package dev.llmdispatch.dispatch.internal;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.AttemptListener;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchOutcome;
import dev.llmdispatch.dispatch.config.ResilienceSettings;
import dev.llmdispatch.dispatch.internal.capacity.Acquisition;
import dev.llmdispatch.dispatch.internal.capacity.CapacityGate;
import dev.llmdispatch.dispatch.internal.capacity.CapacityUnavailableException;
import dev.llmdispatch.dispatch.internal.capacity.Lease;
import dev.llmdispatch.dispatch.internal.capacity.NoUsableAccountException;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import dev.llmdispatch.dispatch.internal.provider.ProviderRequests;
import dev.llmdispatch.dispatch.internal.provider.ProviderTransport;
import dev.llmdispatch.dispatch.internal.resilience.AccountHealth;
import dev.llmdispatch.dispatch.internal.resilience.Outcome;
import dev.llmdispatch.dispatch.internal.resilience.ReplyClassifier;
import dev.llmdispatch.dispatch.internal.routing.Candidate;
import dev.llmdispatch.dispatch.internal.routing.Route;
import dev.llmdispatch.dispatch.internal.routing.RoutePlanner;
import dev.llmdispatch.dispatch.spi.AttemptLog;
import dev.llmdispatch.dispatch.spi.StreamSink;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one job against its route, with three layers of fault tolerance. Each attempt first takes capacity on an
 * account from the fleet-wide {@link CapacityGate} (waiting, in priority order, for the earliest free place
 * until the job's deadline), calls the provider, gives the capacity back, and classifies the answer
 * ({@link ReplyClassifier}):
 * <ul>
 *   <li>a passing fault is retried on the same account with exponential backoff and jitter, up to
 *       {@code attemptsPerAccount} calls, then the next account;</li>
 *   <li>a 429 rests the account fleet-wide for its Retry-After; a spent quota or a refused key takes the
 *       account out (the latter disabled fleet-wide, with an alert); an unknown model or a context too long
 *       moves on to the next provider;</li>
 *   <li>a request the provider refuses itself ends the job at once with PROVIDER_REJECTED: no other provider
 *       is burned on a bad job.</li>
 * </ul>
 * An account that failed the job is not picked again for it while others remain. When no account of the
 * chain is left the job FAILS with ALL_PROVIDERS_FAILED, or with EMERGENCY when every provider is down.
 * Blocking; call it from a virtual thread.
 */
public final class JobDispatcher implements Dispatch {

    private static final Logger log = LoggerFactory.getLogger(JobDispatcher.class);

    private final RoutePlanner planner;
    private final ProviderTransport client;
    private final CapacityGate gate;
    private final ReplyClassifier classifier;
    private final AccountHealth health;
    private final ResilienceSettings resilience;
    private final BooleanSupplier emergency;
    private final IntervalFunction backoff;
    private final Clock clock;
    private final Ticker ticker;
    private final Sleeper sleeper;
    private final StreamSink.Relay streams;
    private final AttemptListener listener;
    private final AttemptLog attemptLog;
    /** Local reads only: the blocks are a local copy kept fresh by Redis pub/sub. */
    private static final long RECOVERY_POLL_MILLIS = 50;

    private JobDispatcher(Builder b) {
        this.planner = Objects.requireNonNull(b.planner, "planner");
        this.client = Objects.requireNonNull(b.client, "client");
        this.gate = Objects.requireNonNull(b.gate, "gate");
        this.health = Objects.requireNonNull(b.health, "health");
        this.resilience = Objects.requireNonNull(b.resilience, "resilience");
        this.emergency = b.emergency;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.sleeper = b.sleeper;
        this.listener = b.listener;
        this.attemptLog = b.attemptLog;
        this.streams = b.streams;
        this.classifier = new ReplyClassifier(resilience);
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(
                resilience.backoffInitial(), 2.0, 0.5, resilience.backoffMax());
    }

    /** A dispatcher over these parts; what is not set has the default its setter names. */
    public static Builder builder(
            RoutePlanner planner,
            ProviderTransport client,
            CapacityGate gate,
            AccountHealth health,
            ResilienceSettings resilience) {
        return new Builder(planner, client, gate, health, resilience);
    }

    /** The parts of a {@link JobDispatcher} beyond the five it cannot do without. */
    public static final class Builder {
        private final RoutePlanner planner;
        private final ProviderTransport client;
        private final CapacityGate gate;
        private final AccountHealth health;
        private final ResilienceSettings resilience;
        private BooleanSupplier emergency = () -> false;
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.SYSTEM;
        private Sleeper sleeper = Sleeper.SYSTEM;
        private AttemptListener listener = AttemptListener.NONE;
        private AttemptLog attemptLog = AttemptLog.NONE;
        private StreamSink.Relay streams = StreamSink.Relay.NONE;

        private Builder(
                RoutePlanner planner,
                ProviderTransport client,
                CapacityGate gate,
                AccountHealth health,
                ResilienceSettings resilience) {
            this.planner = planner;
            this.client = client;
            this.gate = gate;
            this.health = health;
            this.resilience = resilience;
        }

        /** Whether the fleet is in emergency mode: no job starts a provider call (default: never). */
        public Builder emergency(BooleanSupplier emergency) {
            this.emergency = Objects.requireNonNull(emergency, "emergency");
            return this;
        }

        /** Wall time, for deadlines and what is written down (default: UTC system clock). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Durations (default {@link Ticker#SYSTEM}). */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Backoffs and the wait for a cooled-down account (default {@link Sleeper#SYSTEM}). */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /** Told of every provider call (default {@link AttemptListener#NONE}: nobody). */
        public Builder listener(AttemptListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Where a job's failed calls are kept while it runs, so that a job moved to another worker keeps its attempt
         * budget (default {@link AttemptLog#NONE}).
         */
        public Builder attemptLog(AttemptLog attemptLog) {
            this.attemptLog = Objects.requireNonNull(attemptLog, "attemptLog");
            return this;
        }

        /** Where the chunks of a streamed job's answer go as they come (default {@link StreamSink.Relay#NONE}). */
        public Builder streams(StreamSink.Relay streams) {
            this.streams = Objects.requireNonNull(streams, "streams");
            return this;
        }

        public JobDispatcher build() {
            return new JobDispatcher(this);
        }
    }

    /**
     * Runs the job along its chain until an answer or the end of its attempts. A job tried before (on a worker
     * that lost its partition while the job waited) goes on with the attempts it had left.
     */
    @Override
    public DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException {
        return dispatch(job, priority, attemptLog.load(job.id()));
    }

    @Override
    public DispatchOutcome dispatch(Job job, Priority priority, List<JobResult.Attempt> before)
            throws InterruptedException {
        DispatchOutcome outcome = run(job, priority, before);
        if (!outcome.attempts().isEmpty()) {
            attemptLog.ended(job.id());
        }
        return outcome;
    }

    private DispatchOutcome run(Job job, Priority priority, List<JobResult.Attempt> before)
            throws InterruptedException {
        long takenNanos = ticker.nanos();
        Route route = planner.planRoute(job);
        if (route.isEmpty()) {
            return DispatchOutcome.failed(
                    route.tier(),
                    ErrorCode.NO_ROUTE,
                    "no enabled account in chain "
                            + route.chain() + " can serve this " + job.kind().wireName() + " job"
                            + (Boolean.TRUE.equals(job.thinking()) ? " with thinking" : "")
                            + " of about " + route.tokens() + " tokens (capability, context window, token quota)",
                    false,
                    List.of(),
                    0,
                    0);
        }
        List<JobResult.Attempt> attempts = new ArrayList<>(before);
        AttemptBudget budget = new AttemptBudget(resilience.attemptsPerAccount(), before);
        long providerMs = 0;
        long waitMs = 0;
        boolean announced = false;
        while (true) {
            List<Candidate> candidates = budget.allowed(route.candidates());
            List<Candidate> usable = candidates.stream()
                    .filter(s -> health.cooldowns()
                            .blocked(s.accountId())
                            .map(b -> b.reason().brief())
                            .orElse(true))
                    .toList();
            if (usable.isEmpty()
                    && !candidates.isEmpty()
                    && !emergency.getAsBoolean()
                    && awaitRecovery(candidates, job)) {
                continue;
            }
            if (usable.isEmpty()) {
                String why = summary(attempts, candidates);
                if (emergency.getAsBoolean()) {
                    return DispatchOutcome.failed(
                            route.tier(),
                            ErrorCode.EMERGENCY,
                            "every provider is down (" + why + "); the job is kept as a dead letter for replay",
                            true,
                            attempts,
                            providerMs,
                            waitMs);
                }
                return DispatchOutcome.failed(
                        route.tier(),
                        ErrorCode.ALL_PROVIDERS_FAILED,
                        "every account of chain " + route.chain() + " failed or is unavailable: " + why,
                        true,
                        attempts,
                        providerMs,
                        waitMs);
            }
            Acquisition acquisition;
            try {
                acquisition = gate.acquire(usable, priority, job.deadline(), route.tokens(), job.tenant());
            } catch (NoUsableAccountException e) {
                continue; // the accounts it waited for were blocked meanwhile: look again
            } catch (CapacityUnavailableException e) {
                return DispatchOutcome.failed(
                        route.tier(),
                        ErrorCode.CAPACITY_UNAVAILABLE,
                        e.getMessage() + "; the job is kept as a dead letter for replay",
                        true,
                        attempts,
                        providerMs,
                        waitMs);
            }
            if (!(acquisition instanceof Acquisition.Acquired(Lease lease))) {
                return DispatchOutcome.failed(
                        route.tier(),
                        ErrorCode.EXPIRED,
                        "deadline " + job.deadline() + " passed while waiting for capacity",
                        false,
                        attempts,
                        providerMs,
                        waitMs);
            }
            waitMs += lease.waitedMillis();
            Candidate candidate = lease.candidate();
            String model;
            ProviderReply reply;
            Outcome outcome;
            try {
                ObjectNode body = ProviderRequests.body(job, candidate);
                model = body.path("model").asString(null);
                if (!announced) {
                    announced = true;
                    listener.dispatching(job, priority, Math.max(0, ticker.nanos() - takenNanos - lease.waitedNanos()));
                }
                reply = client.post(
                        candidate.settings().baseUrl(),
                        job.kind().endpoint(),
                        candidate.account().apiKey(),
                        body,
                        job.id(),
                        candidate.settings().timeout(),
                        lease,
                        ProviderRequests.streamed(job) ? streams.open(job.id(), candidate.accountId()) : null);
            } catch (RuntimeException e) {
                // nothing must keep the capacity: unsent unless the request had been let go
                if (lease.ageAtWriteNanos() >= 0) {
                    lease.close();
                } else {
                    lease.unsend();
                }
                throw e;
            }
            if (lease.ageAtWriteNanos() >= 0) {
                listener.written(candidate.accountId(), lease.ageAtWriteNanos(), !reply.heldBack());
            }
            long leftAfter = lease.leftAfterNanos();
            if (leftAfter >= 0) {
                listener.left(candidate.accountId(), leftAfter);
                if (lease.leftLate()) {
                    log.warn(
                            "job {}: its request to {} left {} ms after its grant, {} ms after it was let go (this "
                                    + "JVM was starved): its window place counts from when it left",
                            job.id(),
                            candidate.accountId(),
                            lease.ageAtLeftNanos() / 1_000_000,
                            leftAfter / 1_000_000);
                }
            }
            if (reply.heldBack()) {
                // the grant aged past the guard before the request could leave (a slow JVM, a new connection):
                // its place may no longer cover the arrival, so it goes back unused and the job asks afresh
                lease.unsend();
                checkInterrupt();
                continue;
            }
            if (Thread.currentThread().isInterrupted()) {
                // stopping or revoked: the cut-off call says nothing about the account
                lease.closeAfter(reply.mayStillRun());
                throw new InterruptedException(
                        "job " + job.id() + " interrupted during its call to " + candidate.accountId());
            }
            try {
                // recorded before the capacity is given back: a 429's cooldown must be in force before the next grant
                outcome = classifier.classify(reply, job.kind());
                health.record(candidate.accountId(), outcome, reply.millis());
                if (outcome instanceof Outcome.RateLimited || (reply.status() == 0 && reply.written())) {
                    lease.callEnded(true, reply.millis(), job.kind().name()); // overload: a 429 or a timeout
                } else if (outcome instanceof Outcome.Success) {
                    lease.callEnded(false, reply.millis(), job.kind().name());
                }
                if (outcome instanceof Outcome.Success success) {
                    long used = ProviderReply.usedTokens(success.body());
                    if (used >= 0) {
                        lease.charge(used); // the quota counts what the provider used, not the estimate
                    }
                }
            } finally {
                lease.closeAfter(reply.mayStillRun()); // a provider that may still be generating: it still counts
            }
            providerMs += reply.millis();
            listener.attempted(new AttemptListener.AttemptEvent(
                    job,
                    priority,
                    route.tier(),
                    candidate.accountId(),
                    model,
                    reply.status(),
                    outcome.error() == null ? "ok" : outcome.error(),
                    attempts.size() + 1,
                    reply.millis(),
                    lease.waitedMillis(),
                    outcome instanceof Outcome.Success ok
                            ? ok.body().path("usage").path("total_tokens").asLong(0)
                            : 0));
            if (outcome instanceof Outcome.Success success) {
                return new DispatchOutcome(
                        JobStatus.SUCCEEDED,
                        route.tier(),
                        candidate.provider(),
                        candidate.accountId(),
                        model,
                        success.body(),
                        null,
                        attempts,
                        providerMs,
                        waitMs,
                        false);
            }
            JobResult.Attempt failed = new JobResult.Attempt(
                    candidate.accountId(), reply.answered() ? reply.status() : null, outcome.error(), reply.millis());
            attempts.add(failed);
            attemptLog.failed(job.id(), failed);
            switch (budget.failed(candidate, outcome, route.candidates())) {
                case GIVE_UP -> {
                    return DispatchOutcome.failed(
                            route.tier(),
                            ErrorCode.PROVIDER_REJECTED,
                            candidate.accountId() + " refused the request: " + ((Outcome.Rejected) outcome).message(),
                            false,
                            attempts,
                            providerMs,
                            waitMs);
                }
                case RETRY_AFTER_BACKOFF -> {
                    if (!sleepBefore(job, backoff.apply(budget.calls(candidate.accountId())))) {
                        return DispatchOutcome.failed(
                                route.tier(),
                                ErrorCode.EXPIRED,
                                "deadline " + job.deadline() + " passed while retrying: "
                                        + summary(attempts, List.of()),
                                false,
                                attempts,
                                providerMs,
                                waitMs);
                    }
                }
                case MOVE_ON -> {
                    // the accounts still allowed are tried next
                }
            }
        }
    }

    /**
     * Every account left is blocked (open circuit, refused key, spent quota): waits up to
     * {@code recoveryWait} for a health probe to lift one of them, watching the local copy of the blocks.
     *
     * @return true when one came back
     */
    private boolean awaitRecovery(List<Candidate> candidates, Job job) throws InterruptedException {
        long until = clock.millis() + resilience.recoveryWait().toMillis();
        if (job.deadline() != null) {
            until = Math.min(until, job.deadline().toEpochMilli());
        }
        while (clock.millis() < until && !emergency.getAsBoolean()) {
            if (candidates.stream()
                    .anyMatch(s -> health.cooldowns()
                            .blocked(s.accountId())
                            .map(b -> b.reason().brief())
                            .orElse(true))) {
                return true;
            }
            sleeper.sleepMillis(RECOVERY_POLL_MILLIS);
        }
        return false;
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("interrupted");
        }
    }

    /** Waits the backoff unless the deadline comes first; returns false when it would. */
    private boolean sleepBefore(Job job, long millis) throws InterruptedException {
        if (job.deadline() != null && clock.millis() + millis >= job.deadline().toEpochMilli()) {
            return false;
        }
        sleeper.sleepMillis(millis);
        return true;
    }

    /** "nvidia-1: 503 server_error x3; nvidia-2: circuit open" for messages and dead letters. */
    private String summary(List<JobResult.Attempt> attempts, List<Candidate> blocked) {
        Map<String, List<String>> byAccount = new LinkedHashMap<>();
        for (JobResult.Attempt a : attempts) {
            byAccount
                    .computeIfAbsent(a.account(), k -> new ArrayList<>())
                    .add(a.status() == null ? a.error() : a.status() + " " + a.error());
        }
        List<String> parts = new ArrayList<>();
        byAccount.forEach((account, errors) -> {
            Map<String, Long> counts =
                    errors.stream().collect(Collectors.groupingBy(e -> e, LinkedHashMap::new, Collectors.counting()));
            parts.add(account + ": "
                    + String.join(
                            ", ",
                            counts.entrySet().stream()
                                    .map(e -> e.getKey() + (e.getValue() > 1 ? " x" + e.getValue() : ""))
                                    .toList()));
        });
        for (Candidate s : blocked) {
            health.cooldowns()
                    .blocked(s.accountId())
                    .ifPresent(b -> parts.add(s.accountId() + ": "
                            + b.reason().name().toLowerCase(Locale.ROOT).replace('_', ' ')));
        }
        return parts.isEmpty() ? "no account available" : String.join("; ", parts);
    }
}
