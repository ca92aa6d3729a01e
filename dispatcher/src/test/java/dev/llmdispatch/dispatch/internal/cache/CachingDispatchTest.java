package dev.llmdispatch.dispatch.internal.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmdispatch.contract.Job;
import dev.llmdispatch.contract.JobKind;
import dev.llmdispatch.contract.JobStatus;
import dev.llmdispatch.contract.Priority;
import dev.llmdispatch.contract.Tier;
import dev.llmdispatch.dispatch.CacheEvents;
import dev.llmdispatch.dispatch.Dispatch;
import dev.llmdispatch.dispatch.DispatchOutcome;
import dev.llmdispatch.dispatch.config.CacheSettings;
import dev.llmdispatch.dispatch.spi.ResponseCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** The cache's rules over a cache in memory and a provider that records what it is sent. */
class CachingDispatchTest {

    /** A provider: answers chats with a fixed text, embeddings with a vector per input ([length, model's mark]). */
    private final class Provider implements Dispatch {
        final List<Job> sent = new ArrayList<>();
        String model = "bge-m3";

        @Override
        public DispatchOutcome dispatch(Job job, Priority priority) {
            sent.add(job);
            ObjectNode response = JsonNodeFactory.instance.objectNode();
            if (job.kind() == JobKind.EMBEDDING) {
                ArrayNode data = response.putArray("data");
                JsonNode input = job.request().get("input");
                List<String> inputs = new ArrayList<>();
                if (input.isArray()) {
                    input.forEach(i -> inputs.add(i.stringValue()));
                } else {
                    inputs.add(input.stringValue());
                }
                for (int i = 0; i < inputs.size(); i++) {
                    data.addObject()
                            .put("index", i)
                            .putArray("embedding")
                            .add(inputs.get(i).length())
                            .add(model.length());
                }
                response.put("model", model);
            } else {
                response.putArray("choices").addObject().putObject("message").put("content", "Paris");
            }
            return new DispatchOutcome(
                    JobStatus.SUCCEEDED, Tier.TIER_2, "p", "p-1", model, response, null, List.of(), 5, 0, false);
        }
    }

    private final Provider provider = new Provider();
    private final CachingDispatch cache =
            new CachingDispatch(provider, ResponseCache.inMemory(), CacheSettings.DEFAULTS, CacheEvents.NONE);

    private static Job chat(String id, Object temperature, Boolean cache, Boolean thinking) {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        if (temperature != null) {
            request.put("temperature", ((Number) temperature).doubleValue());
        }
        request.putArray("messages").addObject().put("role", "user").put("content", "capital of France?");
        return Job.builder(id).request(request).cache(cache).thinking(thinking).build();
    }

    private static Job embedding(String id, String... inputs) {
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        ArrayNode array = request.putArray("input");
        for (String i : inputs) {
            array.add(i);
        }
        return Job.builder(id).kind(JobKind.EMBEDDING).request(request).build();
    }

    @Test
    void caches_what_is_deterministic_or_asked_for_and_nothing_else() {
        assertThat(cache.cacheable(chat("a", 0, null, null))).isTrue();
        assertThat(cache.cacheable(chat("b", 0.7, null, null))).isFalse();
        assertThat(cache.cacheable(chat("c", null, null, null)))
                .as("temperature unset: the provider's")
                .isFalse();
        assertThat(cache.cacheable(chat("d", 0.7, true, null))).as("asked for").isTrue();
        assertThat(cache.cacheable(chat("e", 0, false, null))).as("refused").isFalse();
        assertThat(cache.cacheable(chat("f", 0, null, true)))
                .as("thinking: only when asked")
                .isFalse();
        assertThat(cache.cacheable(chat("g", 0, true, true))).isTrue();
        assertThat(cache.cacheable(embedding("h", "x"))).isTrue();
        CachingDispatch off = new CachingDispatch(
                provider, ResponseCache.inMemory(), new CacheSettings(false, null, null, null), CacheEvents.NONE);
        assertThat(off.cacheable(chat("i", 0, true, null)))
                .as("turned off for every job")
                .isFalse();
    }

    @Test
    void the_same_request_in_another_field_order_is_answered_from_the_cache() throws Exception {
        DispatchOutcome first = cache.dispatch(chat("a", 0, null, null), Priority.LOW);
        ObjectNode reordered = JsonNodeFactory.instance.objectNode();
        reordered
                .putArray("messages")
                .addObject()
                .put("content", "capital of France?")
                .put("role", "user");
        reordered.put("temperature", 0.0);
        reordered.put("stream", false); // not part of the answer
        DispatchOutcome second =
                cache.dispatch(Job.builder("b").request(reordered).build(), Priority.LOW);

        assertThat(provider.sent).hasSize(1);
        assertThat(first.cached()).isFalse();
        assertThat(second.cached()).isTrue();
        assertThat(second.response()).isEqualTo(first.response());
        assertThat(second.account()).isEqualTo("p-1");
        assertThat(second.providerMs()).isZero();
        cache.dispatch(Job.builder("c").request(reordered).tier(Tier.TIER_1).build(), Priority.LOW);
        assertThat(provider.sent).as("another tier is another answer").hasSize(2);
    }

    @Test
    void an_embedding_batch_sends_only_unseen_inputs_and_answers_every_vector_in_order() throws Exception {
        cache.dispatch(embedding("e1", "aa", "bbbb"), Priority.LOW);
        DispatchOutcome mixed = cache.dispatch(embedding("e2", "c", "bbbb", "ddd", "aa"), Priority.LOW);

        assertThat(provider.sent.get(1).request().get("input"))
                .containsExactly(JsonNodeFactory.instance.stringNode("c"), JsonNodeFactory.instance.stringNode("ddd"));
        JsonNode data = mixed.response().get("data");
        assertThat(data).hasSize(4);
        assertThat(List.of(0, 1, 2, 3)).allSatisfy(i -> {
            assertThat(data.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(data.get(i).get("embedding").get(0).asInt())
                    .isEqualTo(List.of("c", "bbbb", "ddd", "aa").get(i).length());
        });
        DispatchOutcome seen = cache.dispatch(embedding("e3", "ddd", "c"), Priority.LOW);
        assertThat(provider.sent).hasSize(2);
        assertThat(seen.cached()).isTrue();
        assertThat(seen.response().get("data").get(0).get("embedding").get(0).asInt())
                .isEqualTo(3);
    }

    @Test
    void vectors_of_two_models_are_never_mixed() throws Exception {
        cache.dispatch(embedding("e1", "aa"), Priority.LOW);
        provider.model = "nv-embedqa"; // a fallback: another provider's model answers now
        DispatchOutcome answer = cache.dispatch(embedding("e2", "aa", "bbb"), Priority.LOW);

        assertThat(provider.sent).hasSize(3);
        // the new input went first; the cached one is then asked of the model that answered
        assertThat(provider.sent.get(1).request().get("input"))
                .containsExactly(JsonNodeFactory.instance.stringNode("bbb"));
        assertThat(provider.sent.get(2).request().get("input"))
                .containsExactly(JsonNodeFactory.instance.stringNode("aa"));
        assertThat(answer.response().get("data")).hasSize(2);
        assertThat(answer.response().get("data"))
                .allSatisfy(
                        item -> assertThat(item.get("embedding").get(1).asInt()).isEqualTo("nv-embedqa".length()));
        assertThat(answer.providerMs()).as("both calls' time").isEqualTo(10);
        DispatchOutcome later = cache.dispatch(embedding("e3", "aa", "bbb"), Priority.LOW);
        assertThat(later.cached()).isTrue();
        assertThat(provider.sent).hasSize(3);
    }

    @Test
    void a_partial_batch_answered_with_the_wrong_number_of_vectors_is_sent_whole_never_answered_short()
            throws Exception {
        Dispatch shortchanging = (job, priority) -> {
            DispatchOutcome outcome = provider.dispatch(job, priority);
            if (job.request().get("input").size() == 1 && job.id().equals("e2")) {
                ((ArrayNode) outcome.response().get("data")).removeAll(); // no vector for the one input sent
            }
            return outcome;
        };
        CachingDispatch withShortAnswers =
                new CachingDispatch(shortchanging, ResponseCache.inMemory(), CacheSettings.DEFAULTS, CacheEvents.NONE);
        withShortAnswers.dispatch(embedding("e1", "aa"), Priority.LOW);

        DispatchOutcome answer = withShortAnswers.dispatch(embedding("e2", "aa", "ccc"), Priority.LOW);

        assertThat(provider.sent).hasSize(3);
        assertThat(provider.sent.get(2).request().get("input"))
                .as("the whole batch")
                .hasSize(2);
        assertThat(answer.response().get("data")).hasSize(2);
    }

    @Test
    void an_entry_that_cannot_be_read_is_a_miss() throws Exception {
        ResponseCache store = ResponseCache.inMemory();
        CachingDispatch reading = new CachingDispatch(provider, store, CacheSettings.DEFAULTS, CacheEvents.NONE);
        Job job = chat("a", 0, null, null);
        store.putAll(
                Map.of(CacheKeys.whole(job), "{not json", CacheKeys.item(embedding("x"), "zz"), "{}"),
                Duration.ofHours(1));

        assertThat(reading.dispatch(job, Priority.LOW).cached()).isFalse();
        assertThat(reading.dispatch(embedding("e", "zz"), Priority.LOW).cached())
                .isFalse();
        assertThat(provider.sent).hasSize(2);
        assertThat(reading.dispatch(chat("b", 0, null, null), Priority.LOW).cached())
                .as("written again")
                .isTrue();
    }

    @Test
    void a_cache_that_cannot_be_read_or_written_sends_every_job_to_a_provider() throws Exception {
        ResponseCache broken = new ResponseCache() {
            @Override
            public Map<String, String> getAll(List<String> keys) {
                throw new IllegalStateException("Redis away");
            }

            @Override
            public void putAll(Map<String, String> entries, Duration ttl) {
                throw new IllegalStateException("Redis away");
            }
        };
        CachingDispatch unreachable = new CachingDispatch(provider, broken, CacheSettings.DEFAULTS, CacheEvents.NONE);
        assertThat(unreachable.dispatch(chat("a", 0, null, null), Priority.LOW).status())
                .isEqualTo(JobStatus.SUCCEEDED);
        assertThat(unreachable.dispatch(chat("b", 0, null, null), Priority.LOW).cached())
                .isFalse();
        assertThat(provider.sent).hasSize(2);
    }
}
