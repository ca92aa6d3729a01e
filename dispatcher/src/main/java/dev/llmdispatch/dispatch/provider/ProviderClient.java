package dev.llmdispatch.dispatch.provider;

import dev.llmdispatch.contract.JobCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Calls an OpenAI-compatible endpoint. Blocking: call it from a virtual thread. The API key travels only in
 * the Authorization header; nothing this class returns or throws contains it.
 */
public final class ProviderClient implements AutoCloseable {

    private static final int EXCERPT_CHARS = 200;

    private final HttpClient http;

    public ProviderClient() {
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /**
     * POSTs {@code body} to {@code baseUrl/path}.
     *
     * @param requestId sent as {@code X-Request-Id} (the job id), for the provider's and the simulator's logs
     */
    public ProviderReply post(String baseUrl, String path, String apiKey, ObjectNode body, String requestId,
            Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/" + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .POST(HttpRequest.BodyPublishers.ofByteArray(JobCodec.toBytes(body)))
                .build();
        return send(request);
    }

    /** GETs {@code baseUrl/path}: a light health probe such as {@code models}. */
    public ProviderReply get(String baseUrl, String path, String apiKey, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/" + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + apiKey)
                .GET()
                .build();
        return send(request);
    }

    private ProviderReply send(HttpRequest request) {
        long start = System.nanoTime();
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            long millis = (System.nanoTime() - start) / 1_000_000;
            byte[] bytes = response.body();
            JsonNode json = parse(bytes);
            return new ProviderReply(response.statusCode(), json, excerpt(bytes), retryAfter(response), null, millis);
        } catch (HttpTimeoutException e) {
            return failed(start, "timeout after " + request.timeout().map(Duration::toString).orElse("?"));
        } catch (IOException e) {
            return failed(start, "connection error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(start, "interrupted");
        }
    }

    private static ProviderReply failed(long start, String error) {
        return new ProviderReply(0, null, null, null, error, (System.nanoTime() - start) / 1_000_000);
    }

    private static JsonNode parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            return JobCodec.mapper().readTree(bytes);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String excerpt(byte[] bytes) {
        if (bytes == null) {
            return "";
        }
        String text = new String(bytes, 0, Math.min(bytes.length, EXCERPT_CHARS * 4), StandardCharsets.UTF_8)
                .replaceAll("\\s+", " ").trim();
        return text.length() <= EXCERPT_CHARS ? text : text.substring(0, EXCERPT_CHARS) + "...";
    }

    /** {@code retry-after-ms} (milliseconds) wins over {@code Retry-After} (seconds). */
    static Duration retryAfter(HttpResponse<?> response) {
        try {
            var ms = response.headers().firstValue("retry-after-ms");
            if (ms.isPresent()) {
                return Duration.ofMillis((long) Double.parseDouble(ms.get().trim()));
            }
            var seconds = response.headers().firstValue("retry-after");
            if (seconds.isPresent()) {
                return Duration.ofMillis((long) (Double.parseDouble(seconds.get().trim()) * 1000));
            }
        } catch (NumberFormatException e) {
            // an HTTP-date or garbage: treated as no hint
        }
        return null;
    }

    @Override
    public void close() {
        http.close();
    }
}
