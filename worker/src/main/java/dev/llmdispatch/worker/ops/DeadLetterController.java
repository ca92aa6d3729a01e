package dev.llmdispatch.worker.ops;

import dev.llmdispatch.client.DeadLetters;
import dev.llmdispatch.contract.DeadLetterReason;
import dev.llmdispatch.contract.Topics;
import dev.llmdispatch.worker.config.KafkaClients;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Dead letters for on-call engineers: {@code GET /admin/dead-letters} lists, {@code POST
 * /admin/dead-letters/replay} replays; both filter by {@code jobId} (comma-separated), {@code reason},
 * {@code from}/{@code to} (ISO-8601) and {@code account}; replay takes {@code dryRun=true}. A bad filter is answered
 * 400 with a {@code ProblemDetail} naming it.
 */
@RestController
public class DeadLetterController {

    private final Map<String, Object> kafkaClient;
    private final Topics topics;

    public DeadLetterController(KafkaProperties kafka, Topics topics) {
        this.kafkaClient = KafkaClients.common(kafka);
        this.topics = topics;
    }

    @GetMapping(path = "/admin/dead-letters", produces = MediaType.APPLICATION_JSON_VALUE)
    public List<DeadLetters.Entry> list(
            @RequestParam(required = false) String jobId,
            @RequestParam(required = false) String reason,
            @RequestParam(required = false) String from,
            @RequestParam(required = false) String to,
            @RequestParam(required = false) String account) {
        DeadLetters.Filter filter = filter(jobId, reason, from, to, account);
        try (DeadLetters dlq = new DeadLetters(kafkaClient, topics)) {
            return dlq.list(filter);
        }
    }

    @PostMapping(path = "/admin/dead-letters/replay", produces = MediaType.APPLICATION_JSON_VALUE)
    public DeadLetters.Report replay(
            @RequestParam(required = false) String jobId,
            @RequestParam(required = false) String reason,
            @RequestParam(required = false) String from,
            @RequestParam(required = false) String to,
            @RequestParam(required = false) String account,
            @RequestParam(defaultValue = "false") boolean dryRun) {
        DeadLetters.Filter filter = filter(jobId, reason, from, to, account);
        try (DeadLetters dlq = new DeadLetters(kafkaClient, topics)) {
            return dlq.replay(filter, dryRun, null);
        }
    }

    static DeadLetters.Filter filter(String jobId, String reason, String from, String to, String account) {
        Set<String> ids = jobId == null
                ? null
                : Arrays.stream(jobId.split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .collect(Collectors.toSet());
        Set<DeadLetterReason> reasons = null;
        if (reason != null) {
            try {
                reasons = Arrays.stream(reason.split(","))
                        .map(r -> DeadLetterReason.valueOf(r.trim().toUpperCase(Locale.ROOT)))
                        .collect(Collectors.toSet());
            } catch (IllegalArgumentException e) {
                throw badRequest(
                        "reason must be among " + Arrays.toString(DeadLetterReason.values()) + ", but was " + reason);
            }
        }
        return new DeadLetters.Filter(ids, reasons, instant("from", from), instant("to", to), account);
    }

    /** Answered as a {@code ProblemDetail} (RFC 9457) naming what was wrong. */
    static ResponseStatusException badRequest(String detail) {
        return new ResponseStatusException(HttpStatus.BAD_REQUEST, detail);
    }

    private static Instant instant(String name, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw badRequest(name + " must be an ISO-8601 instant such as 2026-11-26T08:00:00Z, " + "but was " + value);
        }
    }
}
