package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one delivery of a parsed job to its {@link JobEnd}: one run at a time fleet-wide (its claim), a job answered
 * before gets its stored answer, an expired one ends EXPIRED, its tenant's budgets may hold or refuse it, the rest goes
 * through the {@link Dispatch}; the outcome is stored (with the claim given up) before it is handed back, so that
 * whatever happens to the caller from there, the job is not sent to a provider again for this delivery. Knows nothing
 * of Kafka: the worker reads records into jobs and writes {@link JobEnd}s as records. Blocking: call it from a virtual
 * thread. A runtime exception means the job's state could not be read or written (the store away): the delivery is
 * tried again later, its claim given up.
 */
public final class JobRun {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);
    /** How often a delivery waiting for another run's claim asks again. */
    static final long CLAIM_POLL_MILLIS = 250;
    /** How long an outcome that could not be stored is tried again, once a second. */
    static final int REMEMBER_TRIES = 30;

    /** One delivery of a job: what the caller knows of it beside the job itself. */
    public record Delivery(Priority priority, int replayCount, long producedAtMillis, BooleanSupplier handedOver) {

        /**
         * @param producedAtMillis when the producer wrote it, by its clock (0 or less: unknown)
         * @param handedOver       whether the delivery has moved elsewhere meanwhile (its partition reassigned)
         */
        public Delivery {
            Objects.requireNonNull(priority, "priority");
            Objects.requireNonNull(handedOver, "handedOver");
        }
    }

    /** Told when a job starts its dispatch. */
    @FunctionalInterface
    public interface Listener {
        /** @param sinceRunNanos from the run's start to the dispatch's: the claim, the checks, the budget */
        void dispatching(Job job, long sinceRunNanos);

        Listener NONE = (job, nanos) -> {};
    }

    private final JobClaims claims;
    private final Dispatch dispatch;
    private final TenantBudgetCheck budgets;
    private final Clock clock;
    private final Ticker ticker;
    private final Sleeper sleeper;
    private final UnaryOperator<JobResult> fitting;
    private final Listener listener;

    private JobRun(Builder b) {
        this.claims = b.claims;
        this.dispatch = b.dispatch;
        this.budgets = b.budgets;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.sleeper = b.sleeper;
        this.fitting = b.fitting;
        this.listener = b.listener;
    }

    /** A run over these claims and this dispatch; what is not set has the default its setter names. */
    public static Builder builder(JobClaims claims, Dispatch dispatch) {
        return new Builder(claims, dispatch);
    }

    /** The parts of a {@link JobRun} beyond the two it cannot do without. */
    public static final class Builder {
        private final JobClaims claims;
        private final Dispatch dispatch;
        private TenantBudgetCheck budgets = TenantBudgetCheck.NONE;
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.SYSTEM;
        private Sleeper sleeper = Sleeper.SYSTEM;
        private UnaryOperator<JobResult> fitting = UnaryOperator.identity();
        private Listener listener = Listener.NONE;

        private Builder(JobClaims claims, Dispatch dispatch) {
            this.claims = Objects.requireNonNull(claims, "claims");
            this.dispatch = Objects.requireNonNull(dispatch, "dispatch");
        }

        /** The tenants' budgets (default {@link TenantBudgetCheck#NONE}: none). */
        public Builder budgets(TenantBudgetCheck budgets) {
            this.budgets = Objects.requireNonNull(budgets, "budgets");
            return this;
        }

        /** Wall time: deadlines, the result's timings (default: UTC system clock). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Durations (default {@link Ticker#SYSTEM}). */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** The waits for another run's claim and for the store (default {@link Sleeper#SYSTEM}). */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /**
         * Makes a result fit where it is written (e.g. a Kafka record's size), before it is stored, so that a later
         * delivery is answered with what this one was (default: as it is).
         */
        public Builder fitting(UnaryOperator<JobResult> fitting) {
            this.fitting = Objects.requireNonNull(fitting, "fitting");
            return this;
        }

        /** Told when each job starts its dispatch (default: nobody). */
        public Builder listener(Listener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public JobRun build() {
            return new JobRun(this);
        }
    }

    /**
     * Runs this delivery of the job to its end.
     *
     * @throws InterruptedException stopping, or cancelled while its delivery moved: it runs again later
     */
    public JobEnd run(Job job, Delivery delivery) throws InterruptedException {
        long startedMillis = clock.millis();
        long startedNanos = ticker.nanos();
        // one run at a time: after a rebalance the previous owner may still be finishing this job, or a second record
        // of it may be running here. The claim, the stored outcome and the earlier attempts come in one round trip; a
        // job answered before (a redelivery, a producer's retry) gets its answer, whatever its deadline says now
        JobClaims.Start start;
        while ((start = claims.start(job.id(), delivery.replayCount())).claim() == null) {
            if (start.answered().isPresent()) {
                return answeredBefore(job, delivery, start.answered().get());
            }
            if (delivery.handedOver().getAsBoolean()) {
                return new JobEnd.HandedOver(); // it moved while it waited for another run's claim
            }
            sleeper.sleepMillis(CLAIM_POLL_MILLIS);
        }
        JobClaims.Claim claim = start.claim();
        boolean finished = false;
        try {
            if (start.answered().isPresent()) {
                return answeredBefore(job, delivery, start.answered().get());
            }
            Instant now = clock.instant();
            if (job.deadline() != null && now.isAfter(job.deadline())) {
                JobEnd.Ended expired = end(
                        job,
                        delivery,
                        claim,
                        DispatchOutcome.failed(
                                job.tier(),
                                ErrorCode.EXPIRED,
                                "deadline " + job.deadline() + " passed before the job could start",
                                false,
                                List.of(),
                                0,
                                0),
                        startedMillis);
                finished = expired.stored();
                return expired;
            }
            if (delivery.handedOver().getAsBoolean()) {
                return new JobEnd.HandedOver();
            }
            switch (budgets.start(job.tenant(), job.id(), () -> TenantBudgetCheck.tokensToReserve(job))) {
                case TenantBudgetCheck.Start started -> {}
                case TenantBudgetCheck.Hold hold -> {
                    return new JobEnd.Held(hold.renewsIn()); // its tenant's jobs wait for the budget
                }
                case TenantBudgetCheck.Spent spent -> {
                    JobEnd.Ended refused = end(
                            job,
                            delivery,
                            claim,
                            DispatchOutcome.failed(
                                    job.tier(), ErrorCode.BUDGET_SPENT, spent.message(), false, List.of(), 0, 0),
                            startedMillis);
                    finished = refused.stored();
                    return refused;
                }
            }
            listener.dispatching(job, ticker.nanos() - startedNanos);
            DispatchOutcome outcome = dispatch.dispatch(job, delivery.priority(), start.before());
            JobEnd.Ended ended = end(job, delivery, claim, outcome, startedMillis);
            finished = ended.stored();
            return ended;
        } finally {
            if (!finished) {
                try {
                    claims.release(claim);
                } catch (RuntimeException e) {
                    log.warn(
                            "job {}: its claim could not be released ({}); it lapses in {}",
                            job.id(),
                            e.toString(),
                            claims.lease());
                }
            }
        }
    }

    /** The stored result of a job answered before, for this delivery. */
    private JobEnd answeredBefore(Job job, Delivery delivery, JobResult stored) {
        JobResult again = stored.toBuilder()
                .priority(delivery.priority())
                .cached(true)
                .metadata(job.metadata())
                .completedAt(clock.instant())
                .build();
        if (job.tenant() != null) {
            budgets.settle(job.tenant(), again); // a stored answer costs nothing: what an ingress reserved comes back
        }
        return new JobEnd.AnsweredBefore(again);
    }

    /** The job's result: charged to its tenant, fitted, stored with the claim given up. */
    private JobEnd.Ended end(
            Job job, Delivery delivery, JobClaims.Claim claim, DispatchOutcome outcome, long startedMillis) {
        long now = clock.millis();
        // producer timestamps come from the producer's clock: never report a negative time
        long produced =
                delivery.producedAtMillis() > 0 ? Math.min(delivery.producedAtMillis(), startedMillis) : startedMillis;
        JobResult result = JobResult.builder(job.id(), outcome.status())
                .priority(delivery.priority())
                .tier(outcome.tier())
                .servedBy(outcome.provider(), outcome.account(), outcome.model())
                .response(outcome.response())
                .error(outcome.error())
                .attempts(outcome.attempts())
                .cached(outcome.cached())
                .timings(new JobResult.Timings(
                        startedMillis - produced, outcome.waitMs(), outcome.providerMs(), Math.max(0, now - produced)))
                .metadata(job.metadata())
                .completedAt(Instant.ofEpochMilli(now))
                .build();
        if (job.tenant() != null) {
            budgets.settle(job.tenant(), result); // the answer's tokens were used even if it cannot be delivered whole
        }
        result = fitting.apply(result);
        boolean stored = remember(claim, result, delivery.replayCount());
        if (result.status() == JobStatus.SUCCEEDED) {
            return new JobEnd.Answered(result, stored);
        }
        // failed, or an answer too large to be written (fitting made it a failure)
        String why =
                result.error() == null ? result.status().name() : result.error().message();
        return new JobEnd.Failed(result, stored, deadLetter(outcome), why);
    }

    /** What no provider could serve, and what a spent budget refused, is kept for replay. */
    private static DeadLetterReason deadLetter(DispatchOutcome outcome) {
        if (outcome.error() == null) {
            return null;
        }
        return switch (outcome.error().code()) {
            case ALL_PROVIDERS_FAILED -> DeadLetterReason.ALL_PROVIDERS_FAILED;
            case EMERGENCY -> DeadLetterReason.EMERGENCY;
            case BUDGET_SPENT -> DeadLetterReason.BUDGET_SPENT; // replayed once the budget renews
            default -> null;
        };
    }

    /**
     * Stores a job's outcome and gives its claim up (one round trip), trying again for up to {@link #REMEMBER_TRIES}
     * seconds while the store fails: a job whose outcome is not stored may be sent to a provider again by the next
     * delivery.
     *
     * @return whether it was stored (and the claim given up with it)
     */
    private boolean remember(JobClaims.Claim claim, JobResult result, int replayCount) {
        for (int attempt = 1; ; attempt++) {
            try {
                claims.finish(claim, result, replayCount);
                return true;
            } catch (RuntimeException e) {
                if (attempt >= REMEMBER_TRIES) {
                    log.error(
                            "job {}: its outcome could not be stored ({}); should its delivery move before the "
                                    + "outcome is written, the next owner asks a provider again",
                            result.id(),
                            e.toString());
                    return false;
                }
                try {
                    sleeper.sleepMillis(1_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }
}
