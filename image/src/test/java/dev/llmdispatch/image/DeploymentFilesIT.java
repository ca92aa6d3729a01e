package dev.llmdispatch.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.testkit.HostTools;
import dev.llmdispatch.testkit.IntegrationTest;
import dev.llmdispatch.worker.config.DispatchProperties;
import dev.llmdispatch.worker.observe.Metrics;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.FileSystemResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The compose deployment's files, checked by the tools that read them: {@code docker-compose config} (Debian's
 * docker-compose) on docker-compose.yml with .env.example, {@code promtool} (Debian's prometheus) on the scrape
 * configuration, the alert rules and their unit tests (deploy/prometheus/alerts.test.yml); the workers' configuration
 * bound by Spring as the worker binds it, refusing any dispatch key the worker does not know; every metric the rules
 * and the Grafana dashboard use is one the worker makes. A missing tool is installed with apt-get.
 */
@IntegrationTest
class DeploymentFilesIT {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void the_compose_file_is_valid_with_the_example_environment_and_refuses_to_start_without_secrets(@TempDir Path dir)
            throws Exception {
        String compose = HostTools.require("docker-compose", "docker-compose");
        Path file = REPO.resolve("docker-compose.yml");
        HostTools.Result services = HostTools.run(
                compose,
                "--env-file",
                REPO.resolve(".env.example").toString(),
                "-f",
                file.toString(),
                "--profile",
                "simulator",
                "config",
                "--services");
        assertThat(services.code()).as(services.output()).isZero();
        assertThat(services.output().lines().toList())
                .containsExactlyInAnyOrder(
                        "kafka",
                        "redis-limits",
                        "redis-cache",
                        "worker-1",
                        "worker-2",
                        "simulator",
                        "prometheus",
                        "grafana");
        HostTools.Result resolved = HostTools.run(
                compose, "--env-file", REPO.resolve(".env.example").toString(), "-f", file.toString(), "config");
        assertThat(resolved.code()).as(resolved.output()).isZero();
        String config = resolved.output();
        // the limits' Redis never evicts and keeps every write; the cache's is bounded and evicts the least used
        assertThat(section(config, "redis-limits")).contains("noeviction", "appendonly", "everysec", "requirepass");
        assertThat(section(config, "redis-cache")).contains("allkeys-lru", "maxmemory", "512mb");
        assertThat(section(config, "kafka")).contains("image: apache/kafka:", "KAFKA_PROCESS_ROLES: broker,controller");
        assertThat(section(config, "worker-1")).contains("image: llm-dispatch:0.1.0-SNAPSHOT", "stop_grace_period");
        // every file it mounts is in the repository
        // (compose v1 writes "- /repo/file:/target:ro", v2 "source: /repo/file")
        Matcher mounts = Pattern.compile("(" + Pattern.quote(REPO.toString()) + "/[^:\\s]+)")
                .matcher(config);
        List<String> mounted = new ArrayList<>();
        while (mounts.find()) {
            mounted.add(mounts.group(1));
        }
        assertThat(mounted).isNotEmpty().allSatisfy(p -> assertThat(Path.of(p)).exists());

        // without the secrets (an empty .env, none in this process' environment) it stops and says which is missing
        Path empty = Files.writeString(dir.resolve(".env"), "");
        HostTools.Result bare = HostTools.run(
                Map.of("PATH", System.getenv("PATH")),
                Duration.ofMinutes(2),
                compose,
                "--env-file",
                empty.toString(),
                "-f",
                file.toString(),
                "config",
                "-q");
        assertThat(bare.code()).isNotZero();
        assertThat(bare.output()).contains("set", "in .env");
    }

    @Test
    void prometheus_takes_the_configuration_and_the_rules_and_each_alert_fires_at_its_threshold(@TempDir Path dir)
            throws Exception {
        String promtool = HostTools.require("promtool", "prometheus");
        Path prom = REPO.resolve("deploy/prometheus");
        // the paths as the container has them, pointed at the repository's files
        String scrape = Files.readString(prom.resolve("prometheus.yml"))
                .replace(
                        "/etc/prometheus/alerts.yml", prom.resolve("alerts.yml").toString())
                .replace("/prometheus/admin-token", dir.resolve("admin-token").toString());
        Files.writeString(dir.resolve("admin-token"), "token");
        Files.writeString(dir.resolve("prometheus.yml"), scrape);
        HostTools.Result config = HostTools.run(
                promtool, "check", "config", dir.resolve("prometheus.yml").toString());
        assertThat(config.code()).as(config.output()).isZero();
        HostTools.Result rules = HostTools.run(
                promtool, "check", "rules", prom.resolve("alerts.yml").toString());
        assertThat(rules.code()).as(rules.output()).isZero();
        assertThat(rules.output()).contains("SUCCESS: 7 rules found");
        HostTools.Result tests = HostTools.run(
                promtool, "test", "rules", prom.resolve("alerts.test.yml").toString());
        assertThat(tests.code()).as(tests.output()).isZero();
        assertThat(tests.output()).contains("SUCCESS");
    }

    @Test
    void every_alert_links_to_its_runbook_and_the_runbook_exists() throws Exception {
        String rules = Files.readString(REPO.resolve("deploy/prometheus/alerts.yml"));
        String index = Files.readString(REPO.resolve("docs/runbooks/README.md"));
        String[] alerts = rules.split("\n\\s+- alert: ");
        assertThat(alerts).hasSize(8); // the header, then 7 rules
        Pattern link = Pattern.compile("runbook_url: \"http://localhost:8080/runbooks/([a-z0-9-]+)\"");
        for (int i = 1; i < alerts.length; i++) {
            String alert = alerts[i].substring(0, alerts[i].indexOf('\n'));
            Matcher url = link.matcher(alerts[i]);
            assertThat(url.find()).as("%s has a runbook_url", alert).isTrue();
            Path page = REPO.resolve("docs/runbooks/" + url.group(1) + ".md");
            assertThat(page).as("the runbook of %s", alert).exists();
            assertThat(index)
                    .as("the runbooks' index lists %s with its page", alert)
                    .contains("`" + alert + "`")
                    .contains("(" + url.group(1) + ".md)");
        }
    }

    @Test
    void the_rules_and_the_dashboard_use_only_metrics_the_worker_makes() throws Exception {
        Set<String> known = new HashSet<>(Set.of("up"));
        for (Field f : Metrics.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                String base = ((String) f.get(null)).replace('.', '_');
                for (String suffix :
                        List.of("", "_total", "_seconds_count", "_seconds_sum", "_seconds_bucket", "_seconds_max")) {
                    known.add(base + suffix);
                }
            }
        }
        String rules = Files.readString(REPO.resolve("deploy/prometheus/alerts.yml"));
        assertThat(metricNames(rules)).isNotEmpty().isSubsetOf(known);

        JsonNode dashboard = JSON.readTree(
                REPO.resolve("deploy/grafana/dashboards/llm-dispatch.json").toFile());
        assertThat(dashboard.get("uid").asString()).isNotBlank();
        Set<Integer> ids = new HashSet<>();
        StringBuilder exprs = new StringBuilder();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt()))
                    .as("panel ids are unique")
                    .isTrue();
            // the datasource the provisioning file declares
            assertThat(panel.get("datasource").get("uid").asString()).isEqualTo("prometheus");
            assertThat(panel.get("targets")).isNotEmpty();
            panel.get("targets")
                    .forEach(t -> exprs.append(t.get("expr").asString()).append('\n'));
        }
        assertThat(Files.readString(REPO.resolve("deploy/grafana/provisioning/datasources/prometheus.yml")))
                .contains("uid: prometheus", "url: http://prometheus:9090");
        Set<String> used = metricNames(exprs.toString());
        assertThat(used).isSubsetOf(known);
        // the fleet's view: limits' use, lag, throughput, latency, errors, circuits, emergency
        assertThat(used)
                .contains(
                        "llm_dispatch_account_in_flight",
                        "llm_dispatch_account_window_remaining",
                        "llm_dispatch_queue_lag",
                        "llm_dispatch_jobs_total",
                        "llm_dispatch_provider_latency_seconds_bucket",
                        "llm_dispatch_provider_calls_total",
                        "llm_dispatch_circuit_state",
                        "llm_dispatch_emergency");
    }

    @Test
    void the_workers_configuration_binds_as_the_worker_binds_it_with_no_key_it_does_not_know() throws Exception {
        String file = Files.readString(REPO.resolve("docker-compose.yml"));
        // the workers' common part (x-worker), where their environment is
        String compose = file.substring(file.indexOf("x-worker:"), file.indexOf("\nservices:"));
        Path deployed = REPO.resolve("deploy/worker/application.yml");
        // every variable it reads comes from the compose file's worker environment
        Matcher placeholders = Pattern.compile("\\$\\{([A-Z0-9_]+)(:[^}]*)?}")
                .matcher(Files.readString(deployed, StandardCharsets.UTF_8));
        Map<String, Object> environment = new HashMap<>();
        while (placeholders.find()) {
            assertThat(compose)
                    .as("the workers' environment in docker-compose.yml passes " + placeholders.group(1))
                    .contains("\n    " + placeholders.group(1) + ": ");
            environment.put(placeholders.group(1), "from-the-environment");
        }
        List<PropertySource<?>> sources = new ArrayList<>();
        sources.add(new MapPropertySource("environment", environment));
        YamlPropertySourceLoader yaml = new YamlPropertySourceLoader();
        sources.addAll(yaml.load("deploy/worker/application.yml", new FileSystemResource(deployed)));
        sources.addAll(yaml.load("application.yml", new ClassPathResource("application.yml")));
        BindHandler strict = new NoUnboundElementsBindHandler(BindHandler.DEFAULT);
        DispatchProperties bound = new Binder(
                        ConfigurationPropertySources.from(sources), new PropertySourcesPlaceholdersResolver(sources))
                .bind("dispatch", Bindable.of(DispatchProperties.class), strict)
                .get();
        assertThat(bound.redis().url()).isEqualTo("redis://:from-the-environment@redis-limits:6379");
        assertThat(bound.tenants()).containsKey("default");
        assertThat(bound.topics().partitions()).isEqualTo(12);
    }

    /** The service's block of a resolved compose file. */
    private static String section(String config, String service) {
        int start = config.indexOf("\n  " + service + ":\n");
        assertThat(start).as("service " + service).isNotNegative();
        Matcher next = Pattern.compile("\n  [a-z0-9-]+:\n|\n[a-z]+:\n").matcher(config);
        int end = next.find(start + 1) ? next.start() : config.length();
        return config.substring(start, end);
    }

    private static Set<String> metricNames(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\\b(llm_dispatch_[a-z_]+|up)\\b").matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
