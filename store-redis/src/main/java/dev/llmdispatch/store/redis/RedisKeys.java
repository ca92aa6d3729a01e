package dev.llmdispatch.store.redis;

import dev.llmdispatch.dispatch.spi.AccountKeys;

/**
 * Every Redis key of a deployment, under its prefix ({@code dispatch.capacity.key-prefix}, default
 * {@code llm-dispatch}). Keys an account's scripts use together share the account's hash slot ({@code {account}}),
 * so a Redis Cluster serves them.
 *
 * <table>
 * <caption>The keys, for {@code prefix} = llm-dispatch</caption>
 * <tr><th>key</th><th>what</th><th>kept</th></tr>
 * <tr><td>{@code llm-dispatch:{nvidia-1}:state|in-flight|requests|tokens|limits|waiting|waiting-until|waiting-tokens}</td>
 *     <td>an account's limit state ({@link AccountKeys})</td><td>while used</td></tr>
 * <tr><td>{@code llm-dispatch:released}</td><td>pub/sub: capacity was given back</td><td>-</td></tr>
 * <tr><td>{@code llm-dispatch:cooldowns}, {@code :cooldowns-changed}</td><td>accounts kept out of use, and
 *     pub/sub of changes</td><td>until each block ends</td></tr>
 * <tr><td>{@code llm-dispatch:{nvidia-1}:outage}</td><td>one alert per account outage</td><td>the outage</td></tr>
 * <tr><td>{@code llm-dispatch:{nvidia-1}:probe}, {@code :probe-failures}</td><td>whose turn it is to probe a blocked
 *     account, and its failed probes in a row</td><td>a probe interval</td></tr>
 * <tr><td>{@code llm-dispatch:emergency}</td><td>emergency mode</td><td>while every provider is down</td></tr>
 * <tr><td>{@code llm-dispatch:attempts:{job}}</td><td>a job's failed attempts, for a replay's budget</td>
 *     <td>an hour</td></tr>
 * <tr><td>{@code llm-dispatch:answer:{job}}</td><td>a job's terminal outcome</td><td>7 days</td></tr>
 * <tr><td>{@code llm-dispatch:claim:{job}}</td><td>who runs a job now</td><td>a claim lease (15 s), renewed</td></tr>
 * <tr><td>{@code llm-dispatch:alert:key}, {@code :alert:key:sent}</td><td>a fleet-wide alert firing, and its
 *     re-alert timer</td><td>while it fires</td></tr>
 * <tr><td>{@code llm-dispatch:cache:hash}</td><td>a cached answer or embedding vector (SHA-256 of what determines
 *     it), in {@code dispatch.cache.redis-url} when set</td><td>{@code dispatch.cache.ttl} (1 hour)</td></tr>
 * <tr><td>{@code llm-dispatch:{traffic}:bucket}</td><td>the fleet's traffic figures, per 5 s
 *     <td>15 minutes</td></tr>
 * <tr><td>{@code llm-dispatch:stream:job}</td><td>pub/sub: a streamed job's chunks, for the worker holding its HTTP
 *     request</td><td>-</td></tr>
 * <tr><td>{@code llm-dispatch:api-keys}</td><td>API keys made at run time: SHA-256 of the key -> tenant and when
 *     </td><td>until revoked</td></tr>
 * <tr><td>{@code llm-dispatch:{tenant:acme}:budget}</td><td>a tenant's use of its budgets, per minute and per day
 *     (UTC)</td><td>a day</td></tr>
 * </table>
 */
public record RedisKeys(String prefix) {

    public static RedisKeys of(String prefix) {
        return new RedisKeys(prefix);
    }

    public AccountKeys account(String accountId) {
        return AccountKeys.of(prefix, accountId);
    }

    public String released() {
        return prefix + ":released";
    }

    public String cooldowns() {
        return prefix + ":cooldowns";
    }

    /** A response cache entry, by the hash of what determines it. */
    public String cached(String hash) {
        return prefix + ":cache:" + hash;
    }

    public String cooldownsChanged() {
        return prefix + ":cooldowns-changed";
    }

    public String outage(String accountId) {
        return prefix + ":{" + accountId + "}:outage";
    }

    public String probeTurn(String accountId) {
        return prefix + ":{" + accountId + "}:probe";
    }

    public String probeFailures(String accountId) {
        return prefix + ":{" + accountId + "}:probe-failures";
    }

    public String emergency() {
        return prefix + ":emergency";
    }

    public String attempts(String jobId) {
        return prefix + ":attempts:{" + jobId + "}";
    }

    public String answer(String jobId) {
        return prefix + ":answer:{" + jobId
                + "}"; // the hash slot of the job's claim and attempts: one script reads them
    }

    public String claim(String jobId) {
        return prefix + ":claim:{" + jobId + "}";
    }

    public String alert(String alertKey) {
        return prefix + ":alert:" + alertKey;
    }

    public String alertSent(String alertKey) {
        return prefix + ":alert:" + alertKey + ":sent";
    }

    public String apiKeys() {
        return prefix + ":api-keys";
    }

    public String tenantBudget(String tenant) {
        return prefix + ":{tenant:" + tenant + "}:budget";
    }

    /** A job counted against its tenant's request budgets today (the budget's hash slot). */
    public String tenantCounted(String tenant, String jobId) {
        return prefix + ":{tenant:" + tenant + "}:counted:" + jobId;
    }

    /** Pub/sub: the chunks of a streamed job's answer, as they come from the provider. */
    public String stream(String jobId) {
        return prefix + ":stream:" + jobId;
    }

    public String traffic(String bucket) {
        return prefix + ":{traffic}:" + bucket;
    }
}
