package dev.llmdispatch.dispatch.cache;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
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
    public interface Events {
        /** Answers (or embedding inputs) served from the cache, and their bytes. */
        void hits(JobKind kind, int count, long bytes);

        /** Answers (or embedding inputs) looked for and not found. */
        void misses(JobKind kind, int count);

        /** Bytes written to the cache. */
        void stored(long bytes);

        Events NONE = new Events() {
            @Override
            public void hits(JobKind kind, int count, long bytes) {}

            @Override
            public void misses(JobKind kind, int count) {}

            @Override
            public void stored(long bytes) {}
        };
    }

    private final Dispatch next;
    private final ResponseCache cache;
    private final CacheSettings settings;
    private final Events events;

    public CachingDispatch(Dispatch next, ResponseCache cache, CacheSettings settings, Events events) {
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
        if (job.kind() == JobKind.EMBEDDING && input != null && allStrings(input)) {
            return embeddings(job, priority, input);
        }
        return whole(job, priority);
    }

    private DispatchOutcome whole(Job job, Priority priority) throws InterruptedException {
        String key = CacheKeys.whole(job);
        String stored = read(List.of(key)).get(key);
        if (stored != null) {
            JsonNode answer = JobCodec.mapper().readTree(stored);
            events.hits(job.kind(), 1, stored.length());
            return new DispatchOutcome(
                    JobStatus.SUCCEEDED,
                    answer.path("tier").isString()
                            ? Tier.valueOf(answer.get("tier").stringValue())
                            : job.tier(),
                    answer.path("provider").asString(null),
                    answer.path("account").asString(null),
                    answer.path("model").asString(null),
                    answer.get("response"),
                    null,
                    List.of(),
                    0,
                    0,
                    true);
        }
        events.misses(job.kind(), 1);
        DispatchOutcome outcome = next.dispatch(job, priority);
        if (outcome.status() == JobStatus.SUCCEEDED) {
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

    private DispatchOutcome embeddings(Job job, Priority priority, JsonNode input) throws InterruptedException {
        List<String> inputs = new ArrayList<>();
        if (input.isArray()) {
            input.forEach(i -> inputs.add(i.stringValue()));
        } else {
            inputs.add(input.stringValue());
        }
        List<String> keys = inputs.stream().map(i -> CacheKeys.item(job, i)).toList();
        Map<String, String> found = read(keys);
        // the model most of the cached vectors came from: only those count as found
        Map<String, Integer> byModel = new HashMap<>();
        Map<Integer, JsonNode> cached = new HashMap<>();
        Map<Integer, String> cachedModel = new HashMap<>();
        Map<String, String> providerOf = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            String stored = found.get(keys.get(i));
            if (stored != null) {
                JsonNode item = JobCodec.mapper().readTree(stored);
                cached.put(i, item.get("embedding"));
                cachedModel.put(i, item.path("model").asString(""));
                providerOf.putIfAbsent(
                        item.path("model").asString(""), item.path("provider").asString(null));
                byModel.merge(item.path("model").asString(""), 1, Integer::sum);
            }
        }
        String model = byModel.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(null);
        cached.keySet().removeIf(i -> !cachedModel.get(i).equals(model));
        long hitBytes = cached.keySet().stream()
                .mapToLong(i -> found.get(keys.get(i)).length())
                .sum();
        List<Integer> unseen = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (!cached.containsKey(i)) {
                unseen.add(i);
            }
        }
        if (unseen.isEmpty()) {
            events.hits(JobKind.EMBEDDING, cached.size(), hitBytes);
            return new DispatchOutcome(
                    JobStatus.SUCCEEDED,
                    job.tier(),
                    providerOf.get(model),
                    null,
                    model,
                    embeddingsResponse(inputs.size(), cached, Map.of(), null, model),
                    null,
                    List.of(),
                    0,
                    0,
                    true);
        }
        events.misses(JobKind.EMBEDDING, unseen.size());
        Job sent = cached.isEmpty()
                ? job
                : withInputs(job, unseen.stream().map(inputs::get).toList());
        DispatchOutcome outcome = next.dispatch(sent, priority);
        if (outcome.status() != JobStatus.SUCCEEDED) {
            return outcome;
        }
        Map<Integer, JsonNode> fresh = vectors(outcome.response(), unseen);
        if (fresh == null) {
            return outcome; // not the shape expected: given back as the provider sent it, and not kept
        }
        String answeredBy = answeringModel(outcome);
        if (!cached.isEmpty() && !answeredBy.equals(model)) {
            // another model answered (a fallback): its vectors and the cached ones must not be mixed
            log.debug("job {}: cached vectors of {}, answer of {}: the whole batch again", job.id(), model, answeredBy);
            DispatchOutcome whole = next.dispatch(job, priority);
            List<Integer> all = IntStream.range(0, inputs.size()).boxed().toList();
            Map<Integer, JsonNode> vectors =
                    whole.status() == JobStatus.SUCCEEDED ? vectors(whole.response(), all) : null;
            if (vectors != null) {
                keep(keys, vectors, answeringModel(whole), whole.provider());
            }
            return whole;
        }
        keep(keys, fresh, answeredBy, outcome.provider());
        if (cached.isEmpty()) {
            return outcome;
        }
        events.hits(JobKind.EMBEDDING, cached.size(), hitBytes);
        return new DispatchOutcome(
                outcome.status(),
                outcome.tier(),
                outcome.provider(),
                outcome.account(),
                outcome.model(),
                embeddingsResponse(inputs.size(), cached, fresh, outcome.response(), answeredBy),
                null,
                outcome.attempts(),
                outcome.providerMs(),
                outcome.waitMs(),
                false);
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

    private static boolean allStrings(JsonNode input) {
        if (input.isString()) {
            return true;
        }
        if (!input.isArray() || input.isEmpty()) {
            return false;
        }
        for (JsonNode item : input) {
            if (!item.isString()) {
                return false;
            }
        }
        return true;
    }

    /** The job with only these inputs, in this order. */
    private static Job withInputs(Job job, List<String> inputs) {
        ObjectNode request = job.request().deepCopy();
        ArrayNode array = request.putArray("input");
        inputs.forEach(array::add);
        return job.toBuilder().request(request).build();
    }

    /**
     * The vectors of an embeddings answer by the index of the input they belong to ({@code sent.get(index)}), or null
     * when the answer does not hold one vector per input sent.
     */
    private static Map<Integer, JsonNode> vectors(JsonNode response, List<Integer> sent) {
        JsonNode data = response == null ? null : response.get("data");
        if (data == null || !data.isArray() || data.size() != sent.size()) {
            return null;
        }
        Map<Integer, JsonNode> out = new HashMap<>();
        int position = 0;
        for (JsonNode item : data) {
            int index = item.path("index").asInt(position);
            JsonNode vector = item.get("embedding");
            if (index < 0 || index >= sent.size() || vector == null) {
                return null;
            }
            out.put(sent.get(index), vector);
            position++;
        }
        return out.size() == sent.size() ? out : null;
    }

    private static String answeringModel(DispatchOutcome outcome) {
        JsonNode model = outcome.response() == null ? null : outcome.response().get("model");
        return model != null && model.isString() ? model.stringValue() : String.valueOf(outcome.model());
    }

    /**
     * An OpenAI embeddings answer with every input's vector in order: the cached ones and the fresh ones, the rest of
     * the provider's answer (usage: what was sent) kept.
     */
    private static JsonNode embeddingsResponse(
            int count, Map<Integer, JsonNode> cached, Map<Integer, JsonNode> fresh, JsonNode template, String model) {
        ObjectNode response = template == null
                ? JsonNodeFactory.instance.objectNode().put("object", "list")
                : ((ObjectNode) template).deepCopy();
        ArrayNode data = response.putArray("data");
        for (int i = 0; i < count; i++) {
            JsonNode vector = cached.containsKey(i) ? cached.get(i) : fresh.get(i);
            data.addObject().put("object", "embedding").put("index", i).set("embedding", vector);
        }
        if (template == null) {
            response.put("model", model);
            response.putObject("usage").put("prompt_tokens", 0).put("total_tokens", 0);
        }
        return response;
    }

    private Map<String, String> read(List<String> keys) {
        try {
            return cache.getAll(keys);
        } catch (RuntimeException e) {
            log.warn("response cache unreadable ({}): the job goes to a provider", e.toString());
            return Map.of();
        }
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
