package dev.llmdispatch.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.worker.observe.alert.AlertProperties;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * docs/reference/configuration.md is generated: every key of the configuration metadata (what IDEs complete), with
 * the default a worker binds from its own application.yml and the key's description. This test makes it again and
 * fails when the page differs, leaving the page as it should be in {@code worker/target/configuration.md}.
 */
class ConfigurationReferenceTest {

    private static final Path PAGE = Path.of("..", "docs", "reference", "configuration.md");
    private static final String HEADER = """
            # Configuration

            Every `dispatch.*` key a worker reads (Spring Boot properties: `application.yml`, `--key=value`, or the
            environment as `DISPATCH_CONSUMER_MAX_IN_FLIGHT`), with the default a worker runs with and what it does.
            Generated from the configuration metadata and the worker's own defaults by `ConfigurationReferenceTest`,
            which fails when this page and the code differ (it writes the page as it should be to
            `worker/target/configuration.md`). The contract's annotated example is in [CONTRACT.md](../CONTRACT.md).

            | key | type | default | what it does |
            |---|---|---|---|
            """;

    @Test
    void the_configuration_reference_is_the_one_the_metadata_and_the_defaults_make() throws Exception {
        String expected = page();
        String actual = Files.exists(PAGE) ? Files.readString(PAGE, StandardCharsets.UTF_8) : "";
        if (!actual.equals(expected)) {
            Path made = Path.of("target", "configuration.md");
            Files.writeString(made, expected, StandardCharsets.UTF_8);
            assertThat(actual)
                    .as("docs/reference/configuration.md is out of date: cp worker/target/configuration.md "
                            + "docs/reference/configuration.md")
                    .isEqualTo(expected);
        }
    }

    private static String page() throws Exception {
        JsonNode metadata;
        try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
            metadata = JsonMapper.builder().build().readTree(in);
        }
        Binder shipped = binder(new ClassPathResource("application.yml"));
        DispatchProperties properties = shipped.bindOrCreate("dispatch", DispatchProperties.class);
        AlertProperties alerts = shipped.bindOrCreate("dispatch.alerts", AlertProperties.class);
        DispatchSettings settings = properties.toSettings();
        // where a key's default is applied when it is not the properties' own record
        Map<String, Object> roots = new TreeMap<>(Map.of(
                "dispatch.alerts", alerts,
                "dispatch.topics", settings.topics(),
                "dispatch.classification", properties.routingRules()));
        Map<String, Object> values = new TreeMap<>();
        values.put("dispatch.redis.url", settings.redisUrl());
        values.put("dispatch.redis.key-prefix", properties.keyPrefix());
        values.put("dispatch.reply.allowed-topics", settings.allowedReplyTopics());
        values.put("dispatch.max-job-bytes", settings.maxJobBytes());
        values.put("dispatch.providers", "the catalogue in application.yml");
        values.put("dispatch.routing.chains", "in application.yml");

        Map<String, String> rows = new TreeMap<>();
        for (JsonNode p : metadata.get("properties")) {
            String key = p.get("name").asString();
            if (!key.startsWith("dispatch.")) {
                continue;
            }
            Object value = values.containsKey(key) ? values.get(key) : lookUp(key, roots, properties);
            rows.put(
                    key,
                    "| `" + key + "` | " + type(p.path("type").asString("")) + " | " + render(value) + " | "
                            + text(p.path("description").asString("")) + " |");
        }
        return HEADER + String.join("\n", rows.values()) + "\n";
    }

    /** The value at {@code key} in the first root whose prefix it has, or in the properties, by record accessors. */
    private static Object lookUp(String key, Map<String, Object> roots, DispatchProperties properties) {
        Object at = properties;
        String path = key.substring("dispatch.".length());
        for (Map.Entry<String, Object> root : roots.entrySet()) {
            if (key.startsWith(root.getKey() + ".")) {
                at = root.getValue();
                path = key.substring(root.getKey().length() + 1);
            }
        }
        for (String part : path.split("\\.")) {
            if (at == null) {
                return null;
            }
            try {
                Method accessor = at.getClass().getMethod(camel(part));
                at = accessor.invoke(at);
            } catch (ReflectiveOperationException e) {
                return null;
            }
        }
        return at;
    }

    private static String camel(String kebab) {
        StringBuilder out = new StringBuilder();
        boolean up = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return out.toString();
    }

    private static String render(Object value) {
        if (value == null) {
            return "none";
        }
        if (value instanceof Duration d) {
            return duration(d);
        }
        if (value instanceof Collection<?> c) {
            if (c.isEmpty()) {
                return "none";
            }
            List<String> shown = new ArrayList<>();
            c.stream().limit(3).forEach(v -> shown.add(String.valueOf(v)));
            return "`" + String.join(", ", shown) + (c.size() > 3 ? ", ...` (" + c.size() + ")" : "`");
        }
        if (value instanceof Map<?, ?> m) {
            return m.isEmpty() ? "none" : m.size() + " entries";
        }
        if (value instanceof String s) {
            return s.startsWith("the ") || s.startsWith("in ") ? s : "`" + s + "`";
        }
        return "`" + value + "`";
    }

    /** As Spring Boot writes durations: 500ms, 10s, 5m, 1h, 7d. */
    private static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "`0s`";
        }
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (ms % units[i] == 0) {
                return "`" + ms / units[i] + names[i] + "`";
            }
        }
        return "`" + ms + "ms`";
    }

    /** A Java type as people read it: {@code java.util.List<java.lang.String>} is {@code List<String>}. */
    private static String type(String javaType) {
        return javaType.replaceAll("[a-z0-9_]+(\\.[a-z0-9_]+)*\\.", "")
                .replace('$', '.')
                .replace("<", "&lt;")
                .replace(">", "&gt;");
    }

    /** A description as Markdown: {@code x} as code (braces inside it kept), no table-breaking bars or line breaks. */
    private static String text(String description) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < description.length()) {
            int tag = description.indexOf("{@", i);
            if (tag < 0) {
                out.append(description.substring(i));
                break;
            }
            out.append(description, i, tag);
            int start = description.indexOf(' ', tag) + 1;
            int depth = 1;
            int j = start;
            while (j < description.length() && depth > 0) {
                char c = description.charAt(j);
                depth += c == '{' ? 1 : c == '}' ? -1 : 0;
                j++;
            }
            out.append('`').append(description, start, j - 1).append('`');
            i = j;
        }
        return out.toString().replace("|", "\\|").replaceAll("\\s+", " ").strip();
    }

    private static Binder binder(Resource yaml) throws IOException {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load(yaml.getDescription(), yaml);
        return new Binder(ConfigurationPropertySources.from(sources), new PropertySourcesPlaceholdersResolver(sources));
    }
}
