package dev.llmdispatch.worker.ops;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /runbooks/{page}}: the on-call runbooks ({@code docs/runbooks}, built into the worker's jar), as plain
 * text, with no credential: they hold no secret, and the alert that links to one must open at 3 a.m. without a login.
 * Each alert rule's {@code runbook_url} names its page; {@code /runbooks} is the index.
 */
@RestController
public class RunbookController {

    private static final Pattern PAGE = Pattern.compile("[a-z0-9-]{1,64}");
    private static final MediaType TEXT = new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8);

    @GetMapping({"/runbooks", "/runbooks/"})
    public ResponseEntity<String> index() throws IOException {
        return page("README");
    }

    @GetMapping("/runbooks/{page}")
    public ResponseEntity<String> runbook(@PathVariable String page) throws IOException {
        String name = page.endsWith(".md") ? page.substring(0, page.length() - 3) : page;
        if (!PAGE.matcher(name).matches()) {
            return notFound(page);
        }
        return page(name);
    }

    private static ResponseEntity<String> page(String name) throws IOException {
        try (InputStream in = RunbookController.class.getResourceAsStream("/runbooks/" + name + ".md")) {
            if (in == null) {
                return notFound(name);
            }
            return ResponseEntity.ok().contentType(TEXT).body(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static ResponseEntity<String> notFound(String page) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND)
                .contentType(TEXT)
                .body("no runbook named " + page + ": the index is /runbooks\n");
    }
}
