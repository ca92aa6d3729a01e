package dev.llmdispatch.worker.api;

import dev.llmdispatch.api.SubmitAccepted;
import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.worker.security.Tenant;
import dev.llmdispatch.worker.security.TenantGate;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import tools.jackson.databind.JsonNode;

/**
 * A convenience for people and scripts without a Kafka client: {@code POST /api/jobs?priority=HIGH} with a
 * Job body puts the job on its topic through the producer SDK and, unless {@code wait=0}, answers with its
 * result ({@link JobResult}), or with {@code 202} and {@link SubmitAccepted} when not waiting. Errors are {@code
 * ProblemDetail}s: 400 for a bad job or priority, 504 when the result did not come in time (the job stays queued),
 * 503 when Kafka cannot take it, and 503 with {@code Retry-After} in emergency mode (every provider down: the job is
 * not queued). Producers at volume write to Kafka directly.
 */
@RestController
public class JobSubmitController {

    private static final Duration MAX_WAIT = Duration.ofMinutes(10);

    private final ObjectProvider<JobClient> client;
    private final Emergency emergency;
    private final Clock clock;

    private final TenantGate gate;

    public JobSubmitController(ObjectProvider<JobClient> client, Emergency emergency, Clock clock, TenantGate gate) {
        this.client = client;
        this.emergency = emergency;
        this.clock = clock;
        this.gate = gate;
    }

    @PostMapping(
            path = "/api/jobs",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> submit(
            @RequestBody byte[] body,
            @RequestParam(defaultValue = "MEDIUM") String priority,
            @RequestParam(defaultValue = "120") long wait,
            @AuthenticationPrincipal Tenant tenant)
            throws InterruptedException {
        Priority p;
        Job job;
        try {
            p = Priority.valueOf(priority.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw problem(HttpStatus.BAD_REQUEST, "priority must be HIGH, MEDIUM or LOW, but was " + priority);
        }
        try {
            job = JobCodec.read(body, Job.class);
        } catch (RuntimeException e) {
            throw problem(HttpStatus.BAD_REQUEST, e.getMessage());
        }
        if (job.id() == null) {
            throw problem(HttpStatus.BAD_REQUEST, "id is required");
        }
        if (emergency.active()) {
            long retryAfter = emergency.retryAfterSeconds(clock.millis());
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(
                    HttpStatus.SERVICE_UNAVAILABLE,
                    "Every provider is down, so the fleet takes no jobs now; job " + job.id() + " was not queued. "
                            + "Try again in about " + retryAfter + " s.");
            problem.setTitle("Emergency mode");
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                    .header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter))
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .body(problem);
        }
        if (job.tenant() != null && !job.tenant().equals(tenant.name())) {
            throw problem(
                    HttpStatus.FORBIDDEN,
                    "the job names tenant " + job.tenant() + ", but the key is tenant " + tenant.name() + "'s");
        }
        // a tenant's job ids are its own: namespaced, so that no tenant can be answered another's stored outcome
        String id = tenant.name() + ":" + job.id();
        if (id.length() > 128) {
            throw problem(
                    HttpStatus.BAD_REQUEST,
                    "id must leave room for the tenant's prefix (" + tenant.name() + ":): at most "
                            + (127 - tenant.name().length()) + " characters");
        }
        job = Job.builder(id)
                .kind(job.kind())
                .tier(job.tier())
                .thinking(job.thinking())
                .request(job.request())
                .deadline(job.deadline())
                .replyTo(job.replyTo())
                .cache(job.cache())
                .tenant(tenant.name())
                .metadata(job.metadata())
                .build();
        JsonNode model = job.request() == null ? null : job.request().get("model");
        switch (gate.admit(tenant, job, model != null && model.isString() ? model.stringValue() : null)) {
            case TenantGate.Refused r -> {
                ProblemDetail problem = ProblemDetail.forStatusAndDetail(
                        r.status(), r.message() + "; job " + job.id() + " was not queued");
                var refusal = ResponseEntity.status(r.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
                if (!r.retryAfter().isZero()) {
                    refusal.header(
                            HttpHeaders.RETRY_AFTER,
                            Long.toString(r.retryAfter().toSeconds()));
                }
                return refusal.body(problem);
            }
            case TenantGate.Admitted a -> job = a.job();
        }
        Duration timeout = Duration.ofSeconds(Math.max(1, Math.min(wait, MAX_WAIT.toSeconds())));
        CompletableFuture<JobResult> result = client.getObject().submit(job, p, timeout);
        gate.settleIfNotQueued(tenant, job.id(), result);
        if (wait <= 0) {
            return ResponseEntity.accepted().body(new SubmitAccepted(job.id(), p.name()));
        }
        try {
            return ResponseEntity.ok(result.get());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException) {
                throw problem(HttpStatus.BAD_REQUEST, cause.getMessage());
            }
            if (cause instanceof TimeoutException) {
                throw problem(
                        HttpStatus.GATEWAY_TIMEOUT,
                        "no result for job " + job.id() + " within " + timeout.toSeconds()
                                + " s; it is still queued, and its result will appear on the reply topic");
            }
            throw problem(HttpStatus.SERVICE_UNAVAILABLE, "cannot submit: " + cause.getMessage());
        }
    }

    /** Answered as a {@code ProblemDetail} (RFC 9457) whose {@code detail} says what was wrong. */
    private static ResponseStatusException problem(HttpStatus status, String detail) {
        return new ResponseStatusException(status, detail == null ? status.getReasonPhrase() : detail);
    }
}
