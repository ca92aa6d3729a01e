package dev.llmdispatch.worker.ops;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.worker.observe.FleetTraffic;
import dev.llmdispatch.worker.observe.alert.AlertProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /admin/dashboard}: everything the dashboard page ({@code /dashboard}) draws, in one answer: the
 * status (accounts, circuits, queue lag, emergency), the fleet's traffic over the last minutes, the dead letters
 * held and the alert thresholds. A part that cannot be read (Kafka unreachable, say) is left out with an
 * {@code errors} entry naming it, so the page still shows the rest.
 */
@RestController
public class DashboardController {

    private final FleetStatus status;
    private final FleetTraffic traffic;
    private final KafkaQueues queues;
    private final AlertProperties alerts;
    private final Clock clock;

    public DashboardController(
            FleetStatus status, FleetTraffic traffic, KafkaQueues queues, AlertProperties alerts, Clock clock) {
        this.status = status;
        this.traffic = traffic;
        this.queues = queues;
        this.alerts = alerts;
        this.clock = clock;
    }

    @GetMapping(path = "/admin/dashboard", produces = MediaType.APPLICATION_JSON_VALUE)
    public String dashboard(@RequestParam(name = "minutes", defaultValue = "15") int minutes) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, String> errors = new LinkedHashMap<>();
        out.put("at", clock.instant().toString());
        try {
            out.put("status", status.snapshot());
        } catch (Exception e) {
            errors.put("status", describe(e));
        }
        try {
            out.put("deadLettersHeld", queues.deadLettersHeld());
        } catch (Exception e) {
            errors.put("deadLettersHeld", describe(e));
        }
        try {
            List<Map<String, Object>> buckets = new ArrayList<>();
            for (FleetTraffic.Bucket b : traffic.history(Duration.ofMinutes(Math.max(1, minutes)))) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("t", b.startMillis());
                row.put("succeeded", b.succeeded());
                row.put("failed", b.failed());
                row.put("deadLettered", b.deadLettered());
                row.put("jobMeanMs", b.jobLatencyMeanMs());
                row.put("jobMaxMs", b.jobLatencyMaxMs());
                row.put("calls", b.calls());
                row.put("callErrors", b.callErrors());
                row.put("callMeanMs", b.callLatencyMeanMs());
                row.put("callMaxMs", b.callLatencyMaxMs());
                buckets.add(row);
            }
            out.put("traffic", Map.of("bucketMs", FleetTraffic.BUCKET.toMillis(), "buckets", buckets));
        } catch (RuntimeException e) {
            errors.put("traffic", describe(e));
        }
        out.put(
                "alertThresholds",
                Map.of(
                        "failureRate",
                        alerts.failureRate(),
                        "meanLatencyMs",
                        alerts.meanLatency().toMillis()));
        out.put("errors", errors);
        return JobCodec.toJson(out);
    }

    private static String describe(Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
