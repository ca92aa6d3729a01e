package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.ErrorCode;
import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.dispatch.provider.ProviderClient;
import dev.llmdispatch.dispatch.provider.ProviderReply;
import dev.llmdispatch.dispatch.routing.Route;
import dev.llmdispatch.dispatch.routing.RoutePlanner;
import dev.llmdispatch.dispatch.routing.Slot;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.capacity.CapacityGate;
import dev.llmdispatch.dispatch.capacity.Lease;
import java.util.HashSet;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one job against its route. Each attempt first takes room on an account from the fleet-wide
 * {@link CapacityGate} (waiting, in priority order, for the earliest free slot until the job's deadline),
 * calls the provider, and gives the room back. An account that failed the job is not picked again for it
 * while others remain. A provider that refuses the request itself (a 4xx other than rate, auth, unknown
 * model or context length) ends the job at once with PROVIDER_REJECTED: no other provider is burned on a
 * bad job. Blocking; call it from a virtual thread.
 */
public final class JobDispatcher {

    private final RoutePlanner planner;
    private final ProviderClient client;
    private final CapacityGate gate;

    public JobDispatcher(RoutePlanner planner, ProviderClient client, CapacityGate gate) {
        this.planner = planner;
        this.client = client;
        this.gate = gate;
    }

    public DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException {
        Route route = planner.planRoute(job);
        if (route.isEmpty()) {
            return DispatchOutcome.failed(route.tier(), ErrorCode.NO_ROUTE, "no enabled account in chain "
                    + route.chain() + " can serve this " + job.kind().wireName() + " job"
                    + (Boolean.TRUE.equals(job.thinking()) ? " with thinking" : "")
                    + " of about " + route.tokens() + " tokens (capability, context window)", false, List.of(), 0, 0);
        }
        List<JobResult.Attempt> attempts = new ArrayList<>();
        Set<String> failed = new HashSet<>();
        long providerMs = 0;
        long waitMs = 0;
        while (true) {
            List<Slot> candidates = route.slots().stream().filter(s -> !failed.contains(s.accountId())).toList();
            if (candidates.isEmpty()) {
                return DispatchOutcome.failed(route.tier(), ErrorCode.ALL_PROVIDERS_FAILED,
                        "every account of chain " + route.chain() + " failed: " + summary(attempts), true, attempts,
                        providerMs, waitMs);
            }
            Lease lease = gate.acquire(candidates, priority, job.deadline(), route.tokens());
            if (lease == null) {
                return DispatchOutcome.failed(route.tier(), ErrorCode.EXPIRED, "deadline " + job.deadline()
                        + " passed while waiting for capacity", false, attempts, providerMs, waitMs);
            }
            waitMs += lease.waitedMillis();
            Slot slot = lease.slot();
            ObjectNode body = requestBody(job, slot);
            String model = body.path("model").asString(null);
            ProviderReply reply;
            try (lease) {
                reply = client.post(slot.settings().baseUrl(), job.kind().endpoint(), slot.account().apiKey(), body,
                        job.id(), slot.settings().timeout());
            }
            providerMs += reply.millis();
            if (reply.usable()) {
                return new DispatchOutcome(JobStatus.SUCCEEDED, route.tier(), slot.provider(), slot.accountId(), model,
                        reply.json(), null, attempts, providerMs, waitMs);
            }
            attempts.add(new JobResult.Attempt(slot.accountId(), reply.answered() ? reply.status() : null,
                    errorName(reply), reply.millis()));
            failed.add(slot.accountId());
            if (rejectsTheJob(reply)) {
                return DispatchOutcome.failed(route.tier(), ErrorCode.PROVIDER_REJECTED, slot.accountId()
                        + " refused the request: " + reply.describe(), false, attempts, providerMs, waitMs);
            }
        }
    }

    /** The job's request as this slot's provider wants it: its model, its thinking flags. */
    static ObjectNode requestBody(Job job, Slot slot) {
        ObjectNode body = job.request().deepCopy();
        body.remove("stream");
        String kindKey = job.kind() == JobKind.EMBEDDING ? "embedding"
                : Boolean.TRUE.equals(job.thinking()) ? "thinking" : "chat";
        String requested = body.path("model").isString() ? body.path("model").stringValue() : null;
        String model = slot.settings().modelFor(requested, kindKey);
        if (model != null) {
            body.put("model", model);
        }
        if (Boolean.TRUE.equals(job.thinking())) {
            for (Map.Entry<String, Object> e : slot.settings().thinkingParams().entrySet()) {
                JsonNode value = JobCodec.toTree(e.getValue());
                JsonNode existing = body.get(e.getKey());
                if (existing instanceof ObjectNode target && value instanceof ObjectNode extra) {
                    target.setAll(extra);
                } else {
                    body.set(e.getKey(), value);
                }
            }
        }
        return body;
    }

    private static boolean rejectsTheJob(ProviderReply reply) {
        int s = reply.status();
        if (s != 400 && s != 413 && s != 422) {
            return false;
        }
        String text = reply.bodyExcerpt() == null ? "" : reply.bodyExcerpt().toLowerCase(Locale.ROOT);
        // a context-length refusal is the provider's limit, not the job's fault: a larger window may take it
        return !(text.contains("context_length") || text.contains("context length") || text.contains("too long"));
    }

    static String errorName(ProviderReply reply) {
        if (!reply.answered()) {
            return reply.transportError().startsWith("timeout") ? "timeout" : "connection_error";
        }
        int s = reply.status();
        if (s >= 200 && s < 300) {
            return "malformed_response";
        }
        return switch (s) {
            case 429 -> "rate_limited";
            case 401, 403 -> "unauthorized";
            case 404 -> "not_found";
            case 408 -> "timeout";
            default -> s >= 500 ? "server_error" : "bad_request";
        };
    }

    private static String summary(List<JobResult.Attempt> attempts) {
        return String.join("; ", attempts.stream()
                .map(a -> a.account() + ": " + (a.status() == null ? a.error() : a.status() + " " + a.error())).toList());
    }
}
