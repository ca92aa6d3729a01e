package dev.llmdispatch.worker.observe.alert;

import dev.llmdispatch.dispatch.AccountBlocks;
import dev.llmdispatch.dispatch.AccountUsage;
import dev.llmdispatch.dispatch.BlockReason;
import dev.llmdispatch.dispatch.Capacity;
import dev.llmdispatch.dispatch.Emergency;
import dev.llmdispatch.store.redis.RedisKeys;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The alert rules, checked every {@code checkInterval}: failure rate and mean latency of this worker's
 * provider calls over a sliding window, and three fleet-wide conditions: emergency mode, accounts disabled for
 * a refused key, and token quotas nearly spent. Each alert fires once, is sent again every {@code reAlert} while it lasts, and is resolved once
 * when it clears. A fleet-wide condition is announced by one worker only: a Redis key per alert decides which
 * (set-if-absent to fire, delete to resolve). The rate and latency alerts name the worker that saw them.
 */
public final class Alerter {

    private final AlertProperties settings;
    private final AlertSinks sinks;
    private final Emergency emergency;
    private final AccountBlocks cooldowns;
    private final RedissonClient redis;
    private final String keyPrefix;
    private final String worker;
    private final Clock clock;
    private final LocalAlertRules local;
    private final Set<String> fleetFiring = new HashSet<>();

    private final Capacity gate;

    public Alerter(
            AlertProperties settings,
            AlertSinks sinks,
            Emergency emergency,
            AccountBlocks cooldowns,
            Capacity gate,
            RedissonClient redis,
            String keyPrefix,
            String worker,
            Clock clock) {
        this.gate = gate;
        this.settings = settings;
        this.sinks = sinks;
        this.emergency = emergency;
        this.cooldowns = cooldowns;
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.worker = worker;
        this.clock = clock;
        this.local = new LocalAlertRules(settings, worker, clock);
    }

    /** A provider call ended (from the request path: cheap). */
    public void called(boolean ok, long millis) {
        local.called(ok, millis);
    }

    /** Checks every rule once. */
    public void check() {
        local.check().forEach(sinks::send);
        Map<String, String> fleet = new HashMap<>();
        if (emergency.active()) {
            fleet.put("emergency", "every provider is unavailable: consumption is paused, health probes continue");
        }
        cooldowns.all().forEach((account, block) -> {
            if (block.reason() == BlockReason.UNAUTHORIZED) {
                fleet.put("account-disabled:" + account, "the API key of " + account + " was refused (401/403)");
            }
        });
        for (String account : gate.accountIds()) {
            AccountUsage usage = gate.usage(account);
            Long quota = usage.tokenQuota();
            if (quota != null) {
                long left = usage.tokensLeft();
                if (left < quota * settings.quotaLeft()) {
                    fleet.put(
                            "quota-low:" + account,
                            account + " has " + left + " of its " + quota + " tokens left in its window (threshold "
                                    + Math.round(100 * settings.quotaLeft()) + "%)");
                }
            }
        }
        checkFleet(fleet);
    }

    private void checkFleet(Map<String, String> firing) {
        for (Map.Entry<String, String> e : firing.entrySet()) {
            RBucket<String> state = redis.getBucket(RedisKeys.of(keyPrefix).alert(e.getKey()), StringCodec.INSTANCE);
            RBucket<String> again =
                    redis.getBucket(RedisKeys.of(keyPrefix).alertSent(e.getKey()), StringCodec.INSTANCE);
            if (state.setIfAbsent("firing")) {
                again.set("sent", settings.reAlert());
                sinks.send(new Alert(e.getKey(), Alert.State.FIRING, e.getValue(), clock.instant()));
            } else if (again.setIfAbsent("sent", settings.reAlert())) {
                sinks.send(new Alert(e.getKey(), Alert.State.FIRING, e.getValue() + " (still)", clock.instant()));
            }
            fleetFiring.add(e.getKey());
        }
        for (String key : Set.copyOf(fleetFiring)) {
            if (!firing.containsKey(key)) {
                fleetFiring.remove(key);
                if (redis.getBucket(RedisKeys.of(keyPrefix).alert(key), StringCodec.INSTANCE)
                        .delete()) {
                    redis.getBucket(RedisKeys.of(keyPrefix).alertSent(key), StringCodec.INSTANCE)
                            .delete();
                    sinks.send(new Alert(key, Alert.State.RESOLVED, "cleared", clock.instant()));
                }
            }
        }
    }
}
