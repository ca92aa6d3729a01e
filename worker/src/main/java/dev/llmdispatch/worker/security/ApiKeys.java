package dev.llmdispatch.worker.security;

import dev.llmdispatch.store.redis.RedisKeys;
import dev.llmdispatch.worker.config.DispatchProperties.TenantProperties;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.redisson.api.RMap;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The tenants and their API keys: keys from configuration ({@code dispatch.tenants.<name>.keys}) and keys made at
 * run time through the admin API (kept in Redis for the whole fleet). Only SHA-256 hashes of keys are kept, here and
 * in Redis; a key made at run time is shown once, to whoever made it.
 */
public final class ApiKeys {

    /** A key as listed: its id (the first characters of its hash), tenant, and where it comes from. */
    public record KeyInfo(String id, String tenant, String source, String createdAt) {}

    /** A key just made: the key itself (shown this once) and its id. */
    public record Created(String key, String id, String tenant) {}

    private final Map<String, Tenant> tenants;
    private final Map<String, Tenant> configured;
    private final RMap<String, String> runtime;

    private ApiKeys(Map<String, Tenant> tenants, Map<String, Tenant> configured, RMap<String, String> runtime) {
        this.tenants = tenants;
        this.configured = configured;
        this.runtime = runtime;
    }

    /** The configured tenants and keys, with the fleet's run-time keys in Redis. */
    public static ApiKeys of(Map<String, TenantProperties> config, RedissonClient redis, String keyPrefix) {
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        Map<String, Tenant> configured = new LinkedHashMap<>();
        if (config != null) {
            config.forEach((name, p) -> {
                Tenant tenant = Tenant.of(name, p);
                tenants.put(name, tenant);
                List<String> keys = p.keys() == null ? List.of() : p.keys();
                for (int i = 0; i < keys.size(); i++) {
                    String hash =
                            Secrets.hashOfConfigured(keys.get(i), "dispatch.tenants." + name + ".keys[" + i + "]");
                    Tenant other = configured.putIfAbsent(hash, tenant);
                    if (other != null) {
                        throw new IllegalArgumentException("dispatch.tenants." + name + ".keys[" + i
                                + "] is also a key of tenant " + other.name() + ": a key belongs to one tenant");
                    }
                }
            });
        }
        return new ApiKeys(
                Map.copyOf(tenants),
                Map.copyOf(configured),
                redis.getMap(RedisKeys.of(keyPrefix).apiKeys(), StringCodec.INSTANCE));
    }

    /** The tenant whose key this is, if it is one. */
    public Optional<Tenant> tenantFor(String presentedKey) {
        String hash = Secrets.hash(presentedKey);
        Tenant tenant = configured.get(hash);
        if (tenant != null) {
            return Optional.of(tenant);
        }
        String stored = runtime.get(hash);
        return stored == null ? Optional.empty() : Optional.ofNullable(tenants.get(stored.split("\\|", 2)[0]));
    }

    public Optional<Tenant> tenant(String name) {
        return Optional.ofNullable(tenants.get(name));
    }

    public Map<String, Tenant> tenants() {
        return tenants;
    }

    /** Whether any key could be accepted: none configured and none made at run time means every call is refused. */
    public boolean anyKey() {
        return !configured.isEmpty() || runtime.isExists();
    }

    /** Makes a new key for a configured tenant. */
    public Created create(String tenantName) {
        if (!tenants.containsKey(tenantName)) {
            throw new IllegalArgumentException("no tenant " + tenantName + " is configured (dispatch.tenants."
                    + tenantName + "); configured: " + tenants.keySet());
        }
        String key = Secrets.newKey();
        String hash = Secrets.hash(key);
        runtime.fastPut(hash, tenantName + "|" + Instant.now());
        return new Created(key, Secrets.keyId(hash), tenantName);
    }

    /**
     * Revokes the run-time key with this id (keys from configuration are removed from configuration).
     *
     * @return whether a key was revoked
     */
    public boolean revoke(String id) {
        if (id.length() < 8) {
            throw new IllegalArgumentException("a key id has at least 8 characters, but was '" + id + "'");
        }
        boolean revoked = false;
        for (String hash : runtime.keySet()) {
            if (hash.startsWith(id)) {
                revoked |= runtime.fastRemove(hash) > 0;
            }
        }
        return revoked;
    }

    /** Every key, by id: configured ones and run-time ones. */
    public List<KeyInfo> list() {
        List<KeyInfo> out = new ArrayList<>();
        configured.forEach((hash, tenant) -> out.add(new KeyInfo(Secrets.keyId(hash), tenant.name(), "config", "")));
        runtime.readAllMap().forEach((hash, value) -> {
            String[] parts = value.split("\\|", 2);
            out.add(new KeyInfo(Secrets.keyId(hash), parts[0], "runtime", parts.length > 1 ? parts[1] : ""));
        });
        out.sort(Comparator.comparing(KeyInfo::tenant).thenComparing(KeyInfo::id));
        return out;
    }
}
