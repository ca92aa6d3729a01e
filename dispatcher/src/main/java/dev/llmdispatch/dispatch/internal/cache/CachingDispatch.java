package dev.llmdispatch.dispatch.internal.cache;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobResult;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.CacheEvents;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchOutcome;
import dev.llmdispatch.dispatch.config.CacheSettings;
import dev.llmdispatch.dispatch.internal.provider.ProviderRequests;
import dev.llmdispatch.dispatch.spi.ResponseCache;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Answers a job from the response cache when it can, and keeps what providers answer for the next one. A hit takes no
 * permit and calls no provider. Which jobs: {@code cache: true|false} on the job wins; otherwise a chat job whose
 * {@code temperature} is 0 and every embedding job (deterministic answers); a thinking job only when it asks.
 *
 * <p>An embedding batch is cached input by input: only the inputs not seen before are sent (so a token quota is
 * charged for them only), and the answer holds every vector in the order asked. Vectors of different models never mix:
 * when the inputs sent are answered by another model than the cached ones (a fallback to another provider), the whole
 * batch is sent again.
 *
 * <p>The cache is a help, never a condition: when it cannot be read or written (Redis away), jobs go to providers.
 */
public final class CachingDispatch implements Dispatch {

    private static final Logger log = LoggerFactory.getLogger(CachingDispatch.class);

    /** What the cache saw, for metrics. */
    private final Dispatch next;

    private final ResponseCache cache;
    private final CacheSettings settings;
    private final CacheEvents events;

    public CachingDispatch(Dispatch next, ResponseCache cache, CacheSettings settings, CacheEvents events) {
        this.next = next;
        this.cache = cache;
        this.settings = settings;
        this.events = events;
    }

    /** Whether the cache may answer this job and keep its answer. */
    public boolean cacheable(Job job) {
        if (!settings.enabled()) {
            return false;
        }
        if (ProviderRequests.streamed(job)) {
            return false; // a streamed answer is assembled from its chunks' text: not what a plain request would get
        }
        if (job.cache() != null) {
            return job.cache();
        }
        if (Boolean.TRUE.equals(job.thinking())) {
            return false;
        }
        if (job.kind() == JobKind.EMBEDDING) {
            return true;
        }
        JsonNode temperature = job.request().get("temperature");
        return temperature != null && temperature.isNumber() && temperature.doubleValue() == 0;
    }

    @Override
    public DispatchOutcome dispatch(Job job, Priority priority) throws InterruptedException {
        if (!cacheable(job)) {
            return next.dispatch(job, priority);
        }
        JsonNode input = job.request().get("input");
        if (job.kind() == JobKind.EMBEDDING && input != null && EmbeddingBatches.allStrings(input)) {
            return embeddings(job, priority, input);
        }
        return whole(job, priority);
    }

    /** A job the cache does not answer goes on with its attempts known; one it may answer reads them if it is sent. */
    @Override
    public DispatchOutcome dispatch(Job job, Priority priority, List<JobResult.Attempt> before)
            throws InterruptedException {
        return cacheable(job) ? dispatch(job, priority) : next.dispatch(job, priority, before);
    }

    private DispatchOutcome whole(Job job, Priority priority) throws InterruptedException {
        String key = CacheKeys.whole(job);
        String stored = read(List.of(key)).get(key);
        DispatchOutcome hit = stored == null ? null : answer(stored, job);
        if (hit != null) {
            events.hits(job.kind(), 1, bytes(stored));
            return hit;
        }
        events.misses(job.kind(), 1);
        DispatchOutcome outcome = next.dispatch(job, priority);
        if (outcome.status() == JobStatus.SUCCEEDED && outcome.response() != null) {
            ObjectNode answer = JsonNodeFactory.instance.objectNode();
            answer.put("tier", outcome.tier() == null ? null : outcome.tier().name());
            answer.put("provider", outcome.provider());
            answer.put("account", outcome.account());
            answer.put("model", outcome.model());
            answer.set("response", outcome.response());
            write(Map.of(key, answer.toString()));
        }
        return outcome;
    }

    /** A stored whole answer as an outcome, or null when the entry cannot be read (then it is a miss). */
    private static DispatchOutcome answer(String stored, Job job) {
        try {
            JsonNode answer = JobCodec.mapper().readTree(stored);
            JsonNode response = answer.get("response");
            if (response == null || !response.isObject()) {
                return null;
            }
            return new DispatchOutcome(
                    JobStatus.SUCCEEDED,
                    answer.path("tier").isString()
                            ? Tier.valueOf(answer.get("tier").stringValue())
                            : job.tier(),
                    answer.path("provider").asString(null),
                    answer.path("account").asString(null),
                    answer.path("model").asString(null),
                    response,
                    null,
                    List.of(),
                    0,
                    0,
                    true);
        } catch (RuntimeException e) {
            log.warn("unreadable response cache entry for job {} ({}): asked of a provider", job.id(), e.toString());
            return null;
        }
    }

    /** One cached embedding vector, with the model (and provider) that made it. */
    private record Item(String model, String provider, JsonNode vector, long bytes) {

        /** The stored item, or null when it cannot be read (then it is a miss). */
        static Item parse(String stored) {
            try {
                JsonNode item = JobCodec.mapper().readTree(stored);
                JsonNode vector = item.get("embedding");
                if (vector == null || vector.isNull() || !item.path("model").isString()) {
                    return null;
                }
                return new Item(
                        item.get("model").stringValue(),
                        item.path("provider").asString(null),
                        vector,
                        CachingDispatch.bytes(stored));
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    private DispatchOutcome embeddings(Job job, Priority priority, JsonNode input) throws InterruptedException {
        List<String> inputs = new ArrayList<>();
        if (input.isArray()) {
            input.forEach(i -> inputs.add(i.stringValue()));
        } else {
            inputs.add(input.stringValue());
        }
        List<String> keys = inputs.stream().map(i -> CacheKeys.item(job, i)).toList();
        Map<String, String> found = read(keys);
        Map<Integer, Item> items = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            Item item = found.containsKey(keys.get(i)) ? Item.parse(found.get(keys.get(i))) : null;
            if (item != null) {
                items.put(i, item);
            }
        }
        // the model most of the cached vectors came from: only those count as found
        String model = items.values().stream()
                .collect(Collectors.groupingBy(Item::model, Collectors.counting()))
                .entrySet()
                .stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(null);
        Map<Integer, JsonNode> cached = new HashMap<>();
        long hitBytes = 0;
        String cachedProvider = null;
        for (var e : items.entrySet()) {
            if (e.getValue().model().equals(model)) {
                cached.put(e.getKey(), e.getValue().vector());
                hitBytes += e.getValue().bytes();
                cachedProvider = e.getValue().provider();
            }
        }
        List<Integer> unseen = IntStream.range(0, inputs.size())
                .filter(i -> !cached.containsKey(i))
                .boxed()
                .toList();
        if (unseen.isEmpty()) {
            events.hits(JobKind.EMBEDDING, cached.size(), hitBytes);
            return new DispatchOutcome(
                    JobStatus.SUCCEEDED,
                    job.tier(),
                    cachedProvider,
                    null,
                    model,
                    EmbeddingBatches.embeddingsResponse(inputs.size(), cached, null, model),
                    null,
                    List.of(),
                    0,
                    0,
                    true);
        }
        events.misses(JobKind.EMBEDDING, unseen.size());
        if (cached.isEmpty()) {
            DispatchOutcome outcome = next.dispatch(job, priority);
            keepAnswer(keys, unseen, outcome);
            return outcome;
        }
        DispatchOutcome first = next.dispatch(EmbeddingBatches.withInputs(job, unseen, inputs), priority);
        if (first.status() != JobStatus.SUCCEEDED) {
            return first;
        }
        Map<Integer, JsonNode> fresh = EmbeddingBatches.vectors(first.response(), unseen);
        if (fresh == null) {
            // not one vector per input sent: the whole batch, so that no answer holds fewer vectors than asked
            return wholeBatch(job, priority, keys, List.of(first));
        }
        String answeredBy = EmbeddingBatches.answeringModel(first);
        List<DispatchOutcome> calls = new ArrayList<>(List.of(first));
        if (!answeredBy.equals(model)) {
            // another model answered (a fallback): the cached inputs go to it too, so that every vector is of one model
            List<Integer> resend = cached.keySet().stream().sorted().toList();
            DispatchOutcome second = next.dispatch(EmbeddingBatches.withInputs(job, resend, inputs), priority);
            calls.add(second);
            Map<Integer, JsonNode> again = second.status() == JobStatus.SUCCEEDED
                            && EmbeddingBatches.answeringModel(second).equals(answeredBy)
                    ? EmbeddingBatches.vectors(second.response(), resend)
                    : null;
            if (again == null) {
                return wholeBatch(job, priority, keys, calls);
            }
            cached.clear();
            fresh.putAll(again);
        } else {
            events.hits(JobKind.EMBEDDING, cached.size(), hitBytes);
        }
        keep(keys, fresh, answeredBy, first.provider());
        cached.putAll(fresh);
        return combined(
                calls, EmbeddingBatches.embeddingsResponse(inputs.size(), cached, first.response(), answeredBy), false);
    }

    /** The whole batch sent as asked, after the calls that came before it; its vectors kept. */
    private DispatchOutcome wholeBatch(Job job, Priority priority, List<String> keys, List<DispatchOutcome> before)
            throws InterruptedException {
        DispatchOutcome whole = next.dispatch(job, priority);
        keepAnswer(keys, IntStream.range(0, keys.size()).boxed().toList(), whole);
        List<DispatchOutcome> calls = new ArrayList<>(before);
        calls.add(whole);
        return combined(calls, whole.response(), false);
    }

    /** Keeps the vectors of a successful answer to the inputs sent (by their index in the job). */
    private void keepAnswer(List<String> keys, List<Integer> sent, DispatchOutcome outcome) {
        if (outcome.status() == JobStatus.SUCCEEDED) {
            Map<Integer, JsonNode> vectors = EmbeddingBatches.vectors(outcome.response(), sent);
            if (vectors != null) {
                keep(keys, vectors, EmbeddingBatches.answeringModel(outcome), outcome.provider());
            }
        }
    }

    /**
     * The last call's outcome with this response, and the attempts and times of every call made for the job (a batch
     * may take more than one).
     */
    private static DispatchOutcome combined(List<DispatchOutcome> calls, JsonNode response, boolean cached) {
        DispatchOutcome last = calls.getLast();
        List<JobResult.Attempt> attempts = new ArrayList<>();
        calls.forEach(c -> attempts.addAll(c.attempts()));
        return new DispatchOutcome(
                last.status(),
                last.tier(),
                last.provider(),
                last.account(),
                last.model(),
                last.status() == JobStatus.SUCCEEDED ? response : last.response(),
                last.error(),
                attempts,
                calls.stream().mapToLong(DispatchOutcome::providerMs).sum(),
                calls.stream().mapToLong(DispatchOutcome::waitMs).sum(),
                cached);
    }

    private void keep(List<String> keys, Map<Integer, JsonNode> vectors, String model, String provider) {
        Map<String, String> entries = new LinkedHashMap<>();
        vectors.forEach((i, vector) -> {
            ObjectNode item = JsonNodeFactory.instance.objectNode();
            item.put("model", model);
            item.put("provider", provider);
            item.set("embedding", vector);
            entries.put(keys.get(i), item.toString());
        });
        write(entries);
    }

    private Map<String, String> read(List<String> keys) {
        try {
            return cache.getAll(keys);
        } catch (RuntimeException e) {
            log.warn("response cache unreadable ({}): the job goes to a provider", e.toString());
            return Map.of();
        }
    }

    private static long bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private void write(Map<String, String> entries) {
        Map<String, String> fitting = new LinkedHashMap<>();
        long bytes = 0;
        for (var e : entries.entrySet()) {
            int size = e.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (size <= settings.maxEntryBytes()) {
                fitting.put(e.getKey(), e.getValue());
                bytes += size;
            }
        }
        try {
            cache.putAll(fitting, settings.ttl());
            events.stored(bytes);
        } catch (RuntimeException e) {
            log.warn("response cache unwritable ({}): the answer is not kept", e.toString());
        }
    }
}
