package dev.llmdispatch.bench;

import dev.llmdispatch.contract.JobCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The throughput benchmark's baseline: the plainest loop that does the same job with no dispatch logic. It consumes
 * job records, sends each job's messages to one provider account over HTTP ({@code concurrency} at a time, on virtual
 * threads) and produces the answer as a result record; offsets are committed automatically. No limits, no retries, no
 * claims, no transactions, no cache (a timeout on each call, as any real loop has): what llm-dispatch's throughput is
 * compared with.
 *
 * <p>Arguments: bootstrap servers, job topic, result topic, provider base URL, API key, model, concurrency.
 */
public final class BaselineLoop {

    private BaselineLoop() {}

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String jobs = args[1];
        String results = args[2];
        URI endpoint = URI.create(args[3] + "/chat/completions");
        String key = args[4];
        String model = args[5];
        Semaphore inFlight = new Semaphore(Integer.parseInt(args[6]));
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                                ConsumerConfig.GROUP_ID_CONFIG, "bench-baseline",
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                        new StringDeserializer(),
                        new ByteArrayDeserializer());
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 5),
                        new StringSerializer(),
                        new ByteArraySerializer());
                ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor()) {
            consumer.subscribe(List.of(jobs));
            while (true) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    inFlight.acquire();
                    calls.submit(() -> {
                        try {
                            JsonNode job = JobCodec.readTree(record.value());
                            ObjectNode body = JsonNodeFactory.instance.objectNode();
                            body.put("model", model);
                            body.set("messages", job.path("request").path("messages"));
                            HttpResponse<byte[]> answer = http.send(
                                    HttpRequest.newBuilder(endpoint)
                                            .timeout(Duration.ofSeconds(120))
                                            .header("Authorization", "Bearer " + key)
                                            .header("Content-Type", "application/json")
                                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            ObjectNode result = JsonNodeFactory.instance.objectNode();
                            result.put("id", job.path("id").asString());
                            result.put("status", answer.statusCode() == 200 ? "SUCCEEDED" : "FAILED");
                            result.set("response", JobCodec.readTree(answer.body()));
                            producer.send(new ProducerRecord<>(results, record.key(), JobCodec.toBytes(result)));
                        } catch (Exception e) {
                            System.err.println("job at offset " + record.offset() + ": " + e);
                        } finally {
                            inFlight.release();
                        }
                        return null;
                    });
                }
            }
        }
    }
}
