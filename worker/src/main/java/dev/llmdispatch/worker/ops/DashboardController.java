package dev.llmdispatch.worker.ops;

import dev.llmdispatch.api.DashboardReport;
import dev.llmdispatch.api.DashboardReport.AlertThresholds;
import dev.llmdispatch.api.DashboardReport.Bucket;
import dev.llmdispatch.api.DashboardReport.Traffic;
import dev.llmdispatch.api.StatusReport;
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
    private final BacklogReader queues;
    private final AlertProperties alerts;
    private final Clock clock;

    public DashboardController(
            FleetStatus status, FleetTraffic traffic, BacklogReader queues, AlertProperties alerts, Clock clock) {
        this.status = status;
        this.traffic = traffic;
        this.queues = queues;
        this.alerts = alerts;
        this.clock = clock;
    }

    @GetMapping(path = "/admin/dashboard", produces = MediaType.APPLICATION_JSON_VALUE)
    public DashboardReport dashboard(@RequestParam(name = "minutes", defaultValue = "15") int minutes) {
        Map<String, String> errors = new LinkedHashMap<>();
        StatusReport statusNow = null;
        try {
            statusNow = status.snapshot();
        } catch (Exception e) {
            errors.put("status", describe(e));
        }
        Long deadLettersHeld = null;
        try {
            deadLettersHeld = queues.deadLettersHeld();
        } catch (Exception e) {
            errors.put("deadLettersHeld", describe(e));
        }
        Traffic trafficNow = null;
        try {
            List<Bucket> buckets = new ArrayList<>();
            for (FleetTraffic.Bucket b : traffic.history(Duration.ofMinutes(Math.max(1, minutes)))) {
                buckets.add(new Bucket(
                        b.startMillis(),
                        b.succeeded(),
                        b.failed(),
                        b.deadLettered(),
                        b.jobLatencyMeanMs(),
                        b.jobLatencyMaxMs(),
                        b.calls(),
                        b.callErrors(),
                        b.callLatencyMeanMs(),
                        b.callLatencyMaxMs()));
            }
            trafficNow = new Traffic(FleetTraffic.BUCKET.toMillis(), buckets);
        } catch (RuntimeException e) {
            errors.put("traffic", describe(e));
        }
        return new DashboardReport(
                clock.instant(),
                statusNow,
                deadLettersHeld,
                trafficNow,
                new AlertThresholds(alerts.failureRate(), alerts.meanLatency().toMillis()),
                errors);
    }

    private static String describe(Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
