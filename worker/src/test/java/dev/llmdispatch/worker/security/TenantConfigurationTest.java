package dev.llmdispatch.worker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.worker.config.DispatchProperties.Security;
import dev.llmdispatch.worker.config.DispatchProperties.TenantProperties;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tenants and secrets as configured: checked at startup with errors naming the key, never showing a secret. */
class TenantConfigurationTest {

    private static TenantProperties tenant(String priority, List<String> tiers, int weight, Long rpm) {
        return new TenantProperties(
                List.of("sk-secret-1"), priority, tiers, List.of("auto"), rpm, null, null, null, weight);
    }

    @Test
    void a_tenant_is_checked_and_its_limits_read() {
        Tenant t = Tenant.of("apps", tenant("high", List.of("tier-1", "TIER_2"), 3, 600L));
        assertThat(t.defaultPriority()).isEqualTo(Priority.HIGH);
        assertThat(t.allowedTiers()).containsExactlyInAnyOrder(Tier.TIER_1, Tier.TIER_2);
        assertThat(t.allows(Tier.TIER_3)).isFalse();
        assertThat(t.allows(null))
                .as("a tier to be settled is checked once settled")
                .isTrue();
        assertThat(t.allowsModel("auto")).isTrue();
        assertThat(t.allowsModel("tier-1")).isFalse();
        assertThat(t.requestsPerMinute()).isEqualTo(600);
        assertThat(t.requestsPerDay()).as("absent: no budget").isEqualTo(-1);
        assertThat(t.hasBudgets()).isTrue();
        assertThat(t.weight()).isEqualTo(3);
    }

    @Test
    void bad_tenants_are_refused_with_the_key_that_is_wrong() {
        assertThatThrownBy(() -> Tenant.of("apps", tenant("URGENT", null, 1, null)))
                .hasMessage("dispatch.tenants.apps.default-priority must be HIGH, MEDIUM or LOW, but was URGENT");
        assertThatThrownBy(() -> Tenant.of("apps", tenant("LOW", List.of("TIER_9"), 1, null)))
                .hasMessageStartingWith("dispatch.tenants.apps.allowed-tiers must name TIER_1, TIER_2 or TIER_3");
        assertThatThrownBy(() -> Tenant.of("apps", tenant("LOW", null, 0, null)))
                .hasMessage("dispatch.tenants.apps.weight must be at least 1, but was 0");
        assertThatThrownBy(() -> Tenant.of("apps", tenant("LOW", null, 1, -5L)))
                .hasMessage("dispatch.tenants.apps.requests-per-minute must be >= 0, but was -5");
        assertThatThrownBy(() -> Tenant.of("a b", tenant("LOW", null, 1, null)))
                .hasMessageContaining("a tenant's name must be 1-64 of [A-Za-z0-9._-], but was 'a b'");
    }

    @Test
    void secrets_are_kept_hashed_and_never_shown() {
        String hash = Secrets.hash("sk-secret-1");
        assertThat(hash).hasSize(64).isNotEqualTo("sk-secret-1");
        assertThat(Secrets.hashOfConfigured("sk-secret-1", "k")).isEqualTo(hash);
        assertThat(Secrets.hashOfConfigured("SHA256:" + hash.toUpperCase(), "k"))
                .isEqualTo(hash);
        assertThatThrownBy(() -> Secrets.hashOfConfigured("sha256:abc", "dispatch.tenants.apps.keys[0]"))
                .hasMessage("dispatch.tenants.apps.keys[0] starts with sha256: but is not followed by 64 hex digits");
        assertThat(Secrets.sameHash(hash, Secrets.hash("sk-secret-1"))).isTrue();
        assertThat(Secrets.sameHash(hash, Secrets.hash("sk-secret-2"))).isFalse();
        assertThat(Secrets.newKey()).startsWith("sk-ld-").hasSize(6 + 43).isNotEqualTo(Secrets.newKey());

        assertThat(tenant("LOW", null, 1, null).toString()).doesNotContain("sk-secret-1");
        assertThat(new Security("admin-secret", null).toString()).doesNotContain("admin-secret");
    }
}
