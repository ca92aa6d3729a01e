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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one job against its route: each account in order until one answers. A provider that refuses the
 * request itself (a 4xx other than rate, auth, unknown model or context length) ends the job at once with
 * PROVIDER_REJECTED: no other provider is burned on a bad job. Blocking; call it from a virtual thread.
 */
public final class JobDispatcher {

    private final RoutePlanner planner;
    private final ProviderClient client;

    public JobDispatcher(RoutePlanner planner, ProviderClient client) {
        this.planner = planner;
        this.client = client;
    }

    public DispatchOutcome dispatch(Job job) {
        Route route = planner.planRoute(job);
        if (route.isEmpty()) {
            return DispatchOutcome.failed(route.tier(), ErrorCode.NO_ROUTE, "no enabled account in chain "
                    + route.chain() + " can serve this " + job.kind().wireName() + " job"
                    + (Boolean.TRUE.equals(job.thinking()) ? " with thinking" : ""), false, List.of(), 0);
        }
        List<JobResult.Attempt> attempts = new ArrayList<>();
        long providerMs = 0;
        for (Slot slot : route.slots()) {
            ObjectNode body = requestBody(job, slot);
            String model = body.path("model").asString(null);
            ProviderReply reply = client.post(slot.settings().baseUrl(), job.kind().endpoint(), slot.account().apiKey(),
                    body, job.id(), slot.settings().timeout());
            providerMs += reply.millis();
            if (reply.usable()) {
                return new DispatchOutcome(JobStatus.SUCCEEDED, route.tier(), slot.provider(), slot.accountId(), model,
                        reply.json(), null, attempts, providerMs);
            }
            attempts.add(new JobResult.Attempt(slot.accountId(), reply.answered() ? reply.status() : null,
                    errorName(reply), reply.millis()));
            if (rejectsTheJob(reply)) {
                return DispatchOutcome.failed(route.tier(), ErrorCode.PROVIDER_REJECTED, slot.accountId()
                        + " refused the request: " + reply.describe(), false, attempts, providerMs);
            }
        }
        return DispatchOutcome.failed(route.tier(), ErrorCode.ALL_PROVIDERS_FAILED,
                "every account of chain " + route.chain() + " failed: " + summary(attempts), true, attempts, providerMs);
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
