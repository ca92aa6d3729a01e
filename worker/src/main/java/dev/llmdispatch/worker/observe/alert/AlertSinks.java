package dev.llmdispatch.worker.observe.alert;

import dev.llmdispatch.contract.JobCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends alerts to the log and to each webhook in its format (generic JSON, Feishu, DingTalk, WeCom, Slack). */
public final class AlertSinks {

    private static final Logger log = LoggerFactory.getLogger("llm-dispatch.alerts");

    private final List<AlertProperties.Webhook> webhooks;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public AlertSinks(List<AlertProperties.Webhook> webhooks) {
        this.webhooks = webhooks;
    }

    public void send(Alert alert) {
        if (alert.state() == Alert.State.FIRING) {
            log.error(alert.text());
        } else {
            log.warn(alert.text());
        }
        for (AlertProperties.Webhook hook : webhooks) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(hook.url()))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JobCodec.toJson(body(hook.format(), alert))))
                    .build();
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                if (error != null || response.statusCode() >= 300) {
                    log.warn(
                            "alert {} not delivered to {}: {}",
                            alert.key(),
                            hook,
                            error != null ? error.toString() : "HTTP " + response.statusCode());
                }
            });
        }
    }

    static Object body(AlertProperties.Format format, Alert alert) {
        String text = alert.text();
        return switch (format) {
            case GENERIC ->
                Map.of(
                        "alert",
                        alert.key(),
                        "state",
                        alert.state().name(),
                        "summary",
                        alert.summary(),
                        "at",
                        alert.at().toString(),
                        "source",
                        "llm-dispatch");
            case FEISHU -> Map.of("msg_type", "text", "content", Map.of("text", text));
            case DINGTALK, WECOM -> Map.of("msgtype", "text", "text", Map.of("content", text));
            case SLACK -> Map.of("text", text);
        };
    }
}
