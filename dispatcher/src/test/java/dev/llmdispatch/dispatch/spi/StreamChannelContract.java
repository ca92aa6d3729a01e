package dev.llmdispatch.dispatch.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The stream channel, one set of cases for every {@link StreamChannel}: Redis pub/sub and the in-memory channel. A
 * job's chunks reach its subscribers on any worker, in order, tagged with their attempt; nothing reaches another job's
 * subscribers, nor a subscription once closed.
 */
public abstract class StreamChannelContract {

    /** A worker's view of the channel; every view of one test shares it. */
    protected abstract StreamChannel view();

    private final String job = "job-" + UUID.randomUUID();

    private static JsonNode chunk(int i) {
        return JsonNodeFactory.instance.objectNode().put("n", i);
    }

    @Test
    void a_jobs_chunks_reach_its_subscribers_in_order_and_no_one_else() {
        StreamChannel caller = view();
        StreamChannel provider = view();
        List<JsonNode> mine = new CopyOnWriteArrayList<>();
        List<JsonNode> others = new CopyOnWriteArrayList<>();
        StreamChannel.Subscription a = caller.subscribe(job, mine::add);
        StreamChannel.Subscription b = caller.subscribe("other-" + job, others::add);
        StreamSink first = provider.relay().open(job, "nvidia-1");
        StreamSink retry = provider.relay().open(job, "nvidia-1");
        for (int i = 0; i < 20; i++) {
            first.chunk(chunk(i));
        }
        retry.chunk(chunk(99));

        await().atMost(Duration.ofSeconds(5)).until(() -> mine.size() == 21);
        assertThat(mine.subList(0, 20))
                .extracting(m -> m.path("chunk").path("n").asInt())
                .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
        assertThat(mine)
                .allSatisfy(m -> assertThat(m.path("account").asString()).isEqualTo("nvidia-1"));
        assertThat(mine.get(20).path("attempt").asString())
                .as("a retry on the same account is another attempt")
                .isNotEqualTo(mine.get(0).path("attempt").asString());
        assertThat(others).isEmpty();
        a.close();
        b.close();
    }

    @Test
    void a_closed_subscription_hears_nothing_more() {
        StreamChannel channel = view();
        List<JsonNode> heard = new CopyOnWriteArrayList<>();
        StreamChannel.Subscription subscription = channel.subscribe(job, heard::add);
        StreamSink sink = view().relay().open(job, "hunyuan-1");
        sink.chunk(chunk(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> heard.size() == 1);

        subscription.close();
        sink.chunk(chunk(2));
        // a marker job subscribed after the close hears its own chunk: anything sent before it had time to arrive
        List<JsonNode> marker = new CopyOnWriteArrayList<>();
        StreamChannel.Subscription m = channel.subscribe("marker-" + job, marker::add);
        view().relay().open("marker-" + job, "hunyuan-1").chunk(chunk(3));
        await().atMost(Duration.ofSeconds(5)).until(() -> marker.size() == 1);
        m.close();
        assertThat(heard).hasSize(1);
    }
}
