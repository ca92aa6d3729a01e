package dev.llmdispatch.worker.openai;

import dev.llmdispatch.client.JobClient;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.spi.StreamChannel;
import dev.llmdispatch.time.Ticker;
import dev.llmdispatch.worker.config.DispatchProperties;
import dev.llmdispatch.worker.security.OpenAiErrors;
import dev.llmdispatch.worker.security.Tenant;
import dev.llmdispatch.worker.security.TenantGate;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/chat/completions}, {@code POST /v1/embeddings}, {@code GET /v1/models}, as OpenAI's API answers
 * them: each request becomes a job on Kafka (durable, under the fleet's limits, at the priority of the tenant's key or
 * of the {@code X-Priority} header) and its answer is the provider's body with the model name the request used.
 * Errors are OpenAI's error objects, with the statuses OpenAI's SDKs map to their error classes.
 */
@RestController
public class OpenAiController {

    private static final Logger log = LoggerFactory.getLogger(OpenAiController.class);

    private final ObjectProvider<JobClient> client;
    private final Emergency emergency;
    private final TenantGate gate;
    private final StreamChannel streams;
    private final Clock clock;
    private final ModelNames models;
    private final DispatchProperties.Ingress ingress;

    public OpenAiController(
            ObjectProvider<JobClient> client,
            Emergency emergency,
            TenantGate gate,
            StreamChannel streams,
            Clock clock,
            DispatchSettings settings,
            DispatchProperties properties) {
        this.client = client;
        this.emergency = emergency;
        this.gate = gate;
        this.streams = streams;
        this.clock = clock;
        this.models = new ModelNames(properties.ingress().models(), settings.providers());
        this.ingress = properties.ingress();
    }

    @PostMapping(path = "/v1/chat/completions", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> chat(
            @RequestBody byte[] body,
            @AuthenticationPrincipal Tenant tenant,
            @RequestHeader(value = "X-Priority", required = false) String priority,
            @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey,
            HttpServletResponse response)
            throws InterruptedException {
        return serve(JobKind.CHAT, body, tenant, priority, idempotencyKey, response);
    }

    @PostMapping(path = "/v1/embeddings", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<?> embeddings(
            @RequestBody byte[] body,
            @AuthenticationPrincipal Tenant tenant,
            @RequestHeader(value = "X-Priority", required = false) String priority,
            @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey)
            throws InterruptedException {
        return serve(JobKind.EMBEDDING, body, tenant, priority, idempotencyKey, null);
    }

    @GetMapping(path = "/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
    public Map<String, Object> models(@AuthenticationPrincipal Tenant tenant) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (String name : models.all()) {
            if (tenant.allowsModel(name)) {
                Map<String, Object> model = new LinkedHashMap<>();
                model.put("id", name);
                model.put("object", "model");
                model.put("created", 0);
                model.put("owned_by", "llm-dispatch");
                data.add(model);
            }
        }
        return Map.of("object", "list", "data", data);
    }

    private ResponseEntity<?> serve(
            JobKind kind,
            byte[] body,
            Tenant tenant,
            String priorityHeader,
            String idempotencyKey,
            HttpServletResponse response)
            throws InterruptedException {
        if (body.length > ingress.maxBodyBytes()) {
            return error(
                    HttpStatus.CONTENT_TOO_LARGE,
                    "the request body has " + body.length + " bytes; at most " + ingress.maxBodyBytes()
                            + " are taken (dispatch.ingress.max-body-bytes)",
                    "invalid_request_error",
                    "request_too_large");
        }
        ObjectNode request;
        try {
            JsonNode tree = JobCodec.mapper().readTree(body);
            if (!(tree instanceof ObjectNode object)) {
                return invalid("the request body must be a JSON object", null);
            }
            request = object;
        } catch (RuntimeException e) {
            return invalid("the request body is not JSON: " + e.getMessage(), null);
        }
        boolean stream = request.path("stream").asBoolean(false);
        if (stream && kind != JobKind.CHAT) {
            return invalid("stream is for chat completions only", "stream");
        }
        boolean includeUsage =
                request.path("stream_options").path("include_usage").asBoolean(false);
        request.remove("stream_options"); // the worker asks the provider for the usage of every streamed answer
        if (!stream) {
            request.remove("stream");
        }
        // OpenAI's SDKs ask for base64 embeddings unless told otherwise; providers are asked for floats (which every
        // one serves, and which the embedding cache keeps) and the answer is encoded here
        boolean base64 = kind == JobKind.EMBEDDING
                && "base64".equals(request.path("encoding_format").asString(""));
        request.remove("encoding_format");
        String name = request.path("model").isString() ? request.path("model").stringValue() : "auto";
        var resolved = kind == JobKind.EMBEDDING ? models.embedding(name) : models.chat(name);
        if (resolved.isEmpty()) {
            return error(
                    HttpStatus.NOT_FOUND,
                    "The model '" + name + "' does not exist here; GET /v1/models lists those that do",
                    "invalid_request_error",
                    "model_not_found");
        }
        if (!resolved.get().concrete()) {
            request.remove("model");
        }
        Priority priority = tenant.defaultPriority();
        if (priorityHeader != null) {
            try {
                priority = Priority.valueOf(priorityHeader.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return invalid("X-Priority must be HIGH, MEDIUM or LOW, but was " + priorityHeader, null);
            }
        }
        String id;
        if (idempotencyKey != null) {
            if (!idempotencyKey.matches("[A-Za-z0-9._:-]{1,60}")) {
                return invalid("Idempotency-Key must be 1-60 of [A-Za-z0-9._:-]", null);
            }
            id = tenant.name() + ":oa-" + idempotencyKey;
        } else {
            id = tenant.name() + ":oa-" + UUID.randomUUID();
        }
        if (emergency.active()) {
            long retryAfter = emergency.retryAfterSeconds(clock.millis());
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                    .header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter))
                    .header("x-should-retry", retryAfter > 60 ? "false" : "true")
                    .body(OpenAiErrors.body(
                            "Every provider is down, so the fleet takes no requests now (emergency mode); try again "
                                    + "in about " + retryAfter + " s.",
                            "server_error",
                            "emergency"));
        }
        Job job;
        try {
            job = Job.builder(id)
                    .kind(kind)
                    .tier(resolved.get().tier())
                    .request(request)
                    .tenant(tenant.name())
                    .build();
        } catch (RuntimeException e) {
            return invalid(e.getMessage(), null);
        }
        switch (gate.admit(tenant, job, name)) {
            case TenantGate.Refused r -> {
                var refusal = ResponseEntity.status(r.status());
                if (!r.retryAfter().isZero()) {
                    refusal.header(
                            HttpHeaders.RETRY_AFTER,
                            Long.toString(r.retryAfter().toSeconds()));
                    if (r.retryAfter().toSeconds() > 60) {
                        refusal.header("x-should-retry", "false"); // OpenAI's SDKs would sleep that long, twice
                    }
                }
                return refusal.body(OpenAiErrors.body(r.message(), r.type(), r.code()));
            }
            case TenantGate.Admitted a -> job = a.job();
        }
        Duration timeout = ingress.timeout();
        if (stream) {
            return streamed(job, priority, name, tenant, includeUsage, response);
        }
        CompletableFuture<JobResult> pending = client.getObject().submit(job, priority, timeout);
        gate.settleIfNotQueued(tenant, job.id(), pending);
        JobResult result;
        try {
            result = pending.get();
        } catch (ExecutionException e) {
            return submitFailed(pending, id, timeout);
        }
        return answer(result, name, base64);
    }

    /**
     * A streamed chat completion: subscribed to the job's chunks before it is queued, the answer starts with its first
     * chunk (so that a job that fails before any gets an ordinary error status), then relays each chunk as Server-Sent
     * Events; the job's result ends the stream, making up any chunk pub/sub lost.
     */
    private ResponseEntity<?> streamed(
            Job job, Priority priority, String model, Tenant tenant, boolean includeUsage, HttpServletResponse response)
            throws InterruptedException {
        BlockingQueue<JsonNode> chunks = new LinkedBlockingQueue<>();
        StreamChannel.Subscription subscription = streams.subscribe(job.id(), chunks::add);
        try {
            Duration timeout = ingress.timeout();
            long deadline = Ticker.SYSTEM.deadline(timeout);
            CompletableFuture<JobResult> pending = client.getObject().submit(job, priority, timeout);
            gate.settleIfNotQueued(tenant, job.id(), pending);
            JsonNode first = null;
            while (first == null && !pending.isDone() && !Ticker.SYSTEM.passed(deadline)) {
                first = chunks.poll(20, TimeUnit.MILLISECONDS);
            }
            if (first == null && pending.isCompletedExceptionally()) {
                return submitFailed(pending, job.id(), timeout);
            }
            JobResult early = first == null ? resultOrNull(pending) : null;
            if (first == null && (early == null || early.status() != JobStatus.SUCCEEDED)) {
                if (early != null) {
                    return answer(early, model, false);
                }
                return ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT)
                        .header("x-should-retry", "false")
                        .body(OpenAiErrors.body(
                                "no answer within " + timeout.toSeconds() + " s; the request is still queued as job "
                                        + job.id(),
                                "server_error",
                                "timeout"));
            }
            // written here, on this request's (virtual) thread, as the chunks come
            response.setStatus(HttpStatus.OK.value());
            response.setContentType(MediaType.TEXT_EVENT_STREAM_VALUE);
            response.setCharacterEncoding("UTF-8");
            response.setHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
            response.setHeader("X-Job-Id", job.id());
            try {
                new SseRelay(model, includeUsage, first).run(response.getOutputStream(), chunks, pending, deadline);
            } catch (IOException e) {
                log.debug("job {}: the caller went away during its stream: {}", job.id(), e.toString());
            }
            return null; // answered
        } finally {
            subscription.close();
        }
    }

    /** The answer for a job that got no result: a refused submission (400, 503) or no result in time (504). */
    private static ResponseEntity<?> submitFailed(CompletableFuture<JobResult> pending, String id, Duration timeout) {
        Throwable cause;
        try {
            pending.join();
            return error(HttpStatus.INTERNAL_SERVER_ERROR, "job " + id + " has a result", "server_error", "internal");
        } catch (CompletionException | CancellationException e) {
            cause = e.getCause() == null ? e : e.getCause();
        }
        if (cause instanceof IllegalArgumentException) {
            return invalid(cause.getMessage(), null);
        }
        if (cause instanceof TimeoutException) {
            // the job is still queued: an SDK's automatic retry would queue it again
            return ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT)
                    .header("x-should-retry", "false")
                    .body(OpenAiErrors.body(
                            "no answer within " + timeout.toSeconds() + " s; the request is still queued as job " + id,
                            "server_error",
                            "timeout"));
        }
        log.warn("job {} could not be submitted: {}", id, cause.toString());
        return error(
                HttpStatus.SERVICE_UNAVAILABLE,
                "the request could not be queued: " + cause.getMessage(),
                "server_error",
                "unavailable");
    }

    private static JobResult resultOrNull(CompletableFuture<JobResult> pending) {
        try {
            return pending.isDone() ? pending.getNow(null) : null;
        } catch (RuntimeException e) { // timed out or failed to queue
            return null;
        }
    }

    private ResponseEntity<?> answer(JobResult result, String model, boolean base64) {
        if (result.status() == JobStatus.SUCCEEDED && result.response() instanceof ObjectNode response) {
            ObjectNode out = response.deepCopy();
            out.put("model", model);
            if (base64) {
                for (JsonNode item : out.path("data")) {
                    if (item instanceof ObjectNode o && o.path("embedding").isArray()) {
                        o.put("embedding", base64(o.path("embedding")));
                    }
                }
            }
            return ResponseEntity.ok()
                    .header("X-Job-Id", result.id())
                    .header("X-Provider-Account", String.valueOf(result.account()))
                    .body(out);
        }
        String message =
                result.error() == null ? result.status().name() : result.error().message();
        if (result.error() == null) {
            return error(HttpStatus.BAD_GATEWAY, message, "server_error", "failed");
        }
        return switch (result.error().code()) {
            case INVALID_JOB, PROVIDER_REJECTED, NO_ROUTE ->
                error(HttpStatus.BAD_REQUEST, message, "invalid_request_error", code(result));
            case EMERGENCY, CAPACITY_UNAVAILABLE ->
                error(HttpStatus.SERVICE_UNAVAILABLE, message, "server_error", code(result));
            case EXPIRED -> error(HttpStatus.GATEWAY_TIMEOUT, message, "server_error", code(result));
            case BUDGET_SPENT -> error(HttpStatus.TOO_MANY_REQUESTS, message, "requests", "rate_limit_exceeded");
            case ALL_PROVIDERS_FAILED, RESULT_TOO_LARGE ->
                error(HttpStatus.BAD_GATEWAY, message, "server_error", code(result));
            case PROCESSING_FAILED -> error(HttpStatus.INTERNAL_SERVER_ERROR, message, "server_error", code(result));
        };
    }

    /** An embedding as OpenAI's {@code encoding_format: base64} has it: float32 little-endian, base64. */
    private static String base64(JsonNode vector) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * vector.size()).order(ByteOrder.LITTLE_ENDIAN);
        vector.forEach(v -> bytes.putFloat((float) v.asDouble()));
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static String code(JobResult result) {
        return result.error().code().name().toLowerCase(Locale.ROOT);
    }

    private static ResponseEntity<?> invalid(String message, String param) {
        Map<String, Object> body = OpenAiErrors.body(message, "invalid_request_error", "invalid_request");
        if (param != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> error = (Map<String, Object>) body.get("error");
            error.put("param", param);
        }
        return ResponseEntity.badRequest().body(body);
    }

    private static ResponseEntity<?> error(HttpStatus status, String message, String type, String code) {
        return ResponseEntity.status(status).body(OpenAiErrors.body(message, type, code));
    }
}
