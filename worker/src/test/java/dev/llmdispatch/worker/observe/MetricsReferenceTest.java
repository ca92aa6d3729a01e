package dev.llmdispatch.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/reference/metrics.md lists exactly the metrics a worker makes: none missing, none that does not exist. */
class MetricsReferenceTest {

    @Test
    void the_metrics_reference_lists_every_metric_of_the_worker_and_no_other() throws Exception {
        Set<String> made = new HashSet<>();
        for (Field f : Metrics.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                made.add((String) f.get(null));
            }
        }
        String doc = Files.readString(Path.of("..", "docs", "reference", "metrics.md"), StandardCharsets.UTF_8);
        Set<String> documented = new HashSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `(llm_dispatch_[a-z_]+)` \\|").matcher(doc);
        while (row.find()) {
            // Prometheus' name back to Micrometer's: counters end in _total, timers in _seconds
            documented.add(row.group(1).replaceFirst("_(total|seconds)$", "").replace('_', '.'));
        }
        assertThat(made).isNotEmpty();
        assertThat(documented).as("documented in docs/reference/metrics.md").isEqualTo(made);
    }
}
