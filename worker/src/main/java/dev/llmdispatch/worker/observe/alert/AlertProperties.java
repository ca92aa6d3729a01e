package dev.llmdispatch.worker.observe.alert;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code dispatch.alerts.*}: the design's rules (failure rate over 10%, mean latency over 5 s, emergency
 * mode, an account disabled) with their thresholds, how often they are checked, and where alerts go.
 *
 * @param failureRate   alert when the share of failed provider calls in the window is above this
 * @param meanLatency   alert when the mean provider latency in the window is above this
 * @param window        the sliding window of provider calls the two rules look at
 * @param minCalls      fewer calls than this in the window: no rate or latency alert
 * @param checkInterval how often the rules are checked
 * @param reAlert       a firing alert is sent again after this long
 * @param webhooks      where alerts go, besides the log
 * @param quotaLeft     alert when an account's token quota has less than this share left in its window
 */
@ConfigurationProperties("dispatch.alerts")
public record AlertProperties(
        @DefaultValue("0.10") double failureRate,
        @DefaultValue("5s") Duration meanLatency,
        @DefaultValue("5m") Duration window,
        @DefaultValue("20") int minCalls,
        @DefaultValue("10s") Duration checkInterval,
        @DefaultValue("30m") Duration reAlert,
        List<Webhook> webhooks,
        @DefaultValue("0.10") double quotaLeft) {

    public AlertProperties {
        webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
        if (failureRate <= 0 || failureRate >= 1) {
            throw new IllegalArgumentException(
                    "dispatch.alerts.failure-rate must be within (0, 1), but was " + failureRate);
        }
    }

    /** A webhook: its URL and message format. */
    public record Webhook(String url, Format format) {
        public Webhook {
            if (url == null || !url.matches("https?://.+")) {
                throw new IllegalArgumentException(
                        "dispatch.alerts.webhooks[].url must be an http(s) URL, but was " + url);
            }
            format = format == null ? Format.GENERIC : format;
        }

        @Override
        public String toString() {
            // webhook URLs often carry a token: never printed whole
            return "Webhook[" + url.replaceAll("(https?://[^/]+).*", "$1/****") + ", "
                    + format.name().toLowerCase(Locale.ROOT) + "]";
        }
    }

    /** Message formats. */
    public enum Format {
        GENERIC,
        FEISHU,
        DINGTALK,
        WECOM,
        SLACK
    }
}
