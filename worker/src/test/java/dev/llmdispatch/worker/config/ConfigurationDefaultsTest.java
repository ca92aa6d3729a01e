package dev.llmdispatch.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.dispatch.config.DispatchSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;

/**
 * Defaults have one home, the records that use them; CONTRACT.md's configuration reference writes them out. This
 * binds the reference as a worker would and compares it with what a worker binds from its own {@code application.yml}
 * (which sets only the providers' catalogue): any default changed on one side and not the other fails here.
 */
class ConfigurationDefaultsTest {

    @Test
    void the_contract_documents_the_defaults_a_worker_runs_with() throws IOException {
        DispatchProperties documented = bind(contractReference());
        DispatchProperties shipped = bind(new ClassPathResource("application.yml"));

        assertThat(documented.consumer()).isEqualTo(shipped.consumer());
        assertThat(documented.capacity()).isEqualTo(shipped.capacity());
        assertThat(documented.cache()).isEqualTo(shipped.cache());
        assertThat(documented.emergency()).isEqualTo(shipped.emergency());
        assertThat(documented.security()).isEqualTo(shipped.security());
        assertThat(documented.ingress()).isEqualTo(shipped.ingress());
        assertThat(documented.tenants()).isEqualTo(shipped.tenants());
        DispatchSettings documentedSettings = documented.toSettings();
        DispatchSettings shippedSettings = shipped.toSettings();
        assertThat(documentedSettings.redisUrl()).isEqualTo(shippedSettings.redisUrl());
        assertThat(documentedSettings.topics()).isEqualTo(shippedSettings.topics());
        assertThat(documentedSettings.chains()).isEqualTo(shippedSettings.chains());
        assertThat(documentedSettings.providers()).isEqualTo(shippedSettings.providers());
        assertThat(documentedSettings).isEqualTo(shippedSettings);
    }

    @Test
    void a_worker_without_any_dispatch_key_binds_every_group() {
        DispatchProperties none = new Binder().bindOrCreate("dispatch", DispatchProperties.class);

        assertThat(none.consumer().maxInFlight()).isEqualTo(64);
        assertThat(none.consumer().bufferPerPriority()).isEqualTo(4096);
        assertThat(none.capacity().keyPrefix()).isEqualTo("llm-dispatch");
        assertThat(none.resilience()).isNotNull();
        assertThat(none.health().probeInterval()).hasSeconds(5);
        assertThat(none.requestLog().includePrompt()).isFalse();
    }

    @Test
    void one_key_prefix_for_the_deployment_and_the_old_key_still_read() {
        assertThat(bind(Map.of("dispatch.redis.key-prefix", "prod")).keyPrefix())
                .isEqualTo("prod");
        assertThat(bind(Map.of("dispatch.redis.key-prefix", "prod")).capacity().keyPrefix())
                .isEqualTo("prod");
        assertThat(bind(Map.of("dispatch.redis.key-prefix", "prod")).deprecatedKeyPrefix())
                .isFalse();

        DispatchProperties legacy = bind(Map.of("dispatch.capacity.key-prefix", "old"));
        assertThat(legacy.keyPrefix()).isEqualTo("old");
        assertThat(legacy.deprecatedKeyPrefix()).isTrue();

        DispatchProperties same =
                bind(Map.of("dispatch.redis.key-prefix", "old", "dispatch.capacity.key-prefix", "old"));
        assertThat(same.keyPrefix()).isEqualTo("old");
        assertThat(same.deprecatedKeyPrefix()).isFalse();

        assertThatThrownBy(
                        () -> bind(Map.of("dispatch.redis.key-prefix", "new", "dispatch.capacity.key-prefix", "old")))
                .rootCause()
                .hasMessageContaining("dispatch.redis.key-prefix is 'new'")
                .hasMessageContaining("dispatch.capacity.key-prefix is 'old'");
    }

    private static DispatchProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("dispatch", DispatchProperties.class);
    }

    /** The YAML block under "## Configuration" in docs/CONTRACT.md. */
    private static Resource contractReference() throws IOException {
        String contract = Files.readString(Path.of("..", "docs", "CONTRACT.md"), StandardCharsets.UTF_8);
        int section = contract.indexOf("## Configuration");
        int start = contract.indexOf("```yaml\n", section) + "```yaml\n".length();
        int end = contract.indexOf("```", start);
        assertThat(section).as("CONTRACT.md's configuration section").isNotNegative();
        return new ByteArrayResource(contract.substring(start, end).getBytes(StandardCharsets.UTF_8), "CONTRACT.md");
    }

    private static DispatchProperties bind(Resource yaml) throws IOException {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader().load(yaml.getDescription(), yaml);
        return new Binder(ConfigurationPropertySources.from(sources), new PropertySourcesPlaceholdersResolver(sources))
                .bindOrCreate("dispatch", DispatchProperties.class);
    }
}
