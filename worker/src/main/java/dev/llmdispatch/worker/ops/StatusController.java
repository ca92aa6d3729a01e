package dev.llmdispatch.worker.ops;

import dev.llmdispatch.api.StatusReport;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /admin/status}: per account its limits and live use across the fleet (requests in the current
 * window, in flight), cooldown and circuit; queue lag per priority for the workers' group; emergency flag.
 * What {@code llm-dispatch status} prints.
 */
@RestController
public class StatusController {

    private final FleetStatus status;

    public StatusController(FleetStatus status) {
        this.status = status;
    }

    @GetMapping(path = "/admin/status", produces = MediaType.APPLICATION_JSON_VALUE)
    public StatusReport status() throws InterruptedException {
        return status.snapshot();
    }
}
