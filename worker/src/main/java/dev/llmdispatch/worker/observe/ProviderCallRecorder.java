package dev.llmdispatch.worker.observe;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.dispatch.AttemptListener;
import dev.llmdispatch.worker.observe.alert.Alerter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every provider call, as metrics ({@code llm_dispatch_provider_calls_total{account,outcome}},
 * {@code llm_dispatch_provider_latency_seconds{account}} with a histogram, tokens) and as one JSON line in the
 * request log (logger {@code llm-dispatch.requests}): job id, tier, priority, account, model, status, latency,
 * tokens, attempt. Never a key; the prompt only when {@code dispatch.request-log.include-prompt} is set.
 */
public final class ProviderCallRecorder implements AttemptListener {

    private static final Logger requests = LoggerFactory.getLogger("llm-dispatch.requests");

    private final Metrics metrics;
    private final boolean includePrompt;
    private final Alerter alerter;
    private final FleetTraffic traffic;

    public ProviderCallRecorder(Metrics metrics, boolean includePrompt, Alerter alerter, FleetTraffic traffic) {
        this.alerter = alerter;
        this.traffic = traffic;
        this.metrics = metrics;
        this.includePrompt = includePrompt;
    }

    @Override
    public void dispatching(Job job, Priority priority, long overheadNanos) {
        metrics.dispatchOverhead(overheadNanos);
    }

    @Override
    public void written(String account, long grantAgeNanos, boolean sent) {
        metrics.grantAge(account, sent, grantAgeNanos);
    }

    @Override
    public void left(String account, long afterNanos) {
        metrics.sendDelay(account, afterNanos);
    }

    @Override
    public void attempted(AttemptEvent call) {
        alerter.called(call.ok(), call.millis());
        traffic.providerCalled(call.ok(), call.millis());
        metrics.providerCalled(call.account(), call.outcome(), call.millis(), call.totalTokens());
        if (requests.isInfoEnabled()) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("jobId", call.job().id());
            line.put("tier", call.tier() == null ? null : call.tier().name());
            line.put("priority", call.priority().name());
            line.put("account", call.account());
            line.put("model", call.model());
            line.put("status", call.status());
            line.put("outcome", call.outcome());
            line.put("latencyMs", call.millis());
            line.put("waitMs", call.waitMillis());
            line.put("tokens", call.totalTokens());
            line.put("attempt", call.attempt());
            if (includePrompt) {
                line.put("request", call.job().request());
            }
            requests.info(JobCodec.toJson(line));
        }
    }
}
