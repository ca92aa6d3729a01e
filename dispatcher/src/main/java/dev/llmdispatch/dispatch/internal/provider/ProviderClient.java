package dev.llmdispatch.dispatch.internal.provider;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.dispatch.spi.StreamSink;
import dev.llmdispatch.time.Sleeper;
import dev.llmdispatch.time.Ticker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Calls an OpenAI-compatible endpoint. Blocking: call it from a virtual thread. The API key travels only in
 * the Authorization header; nothing this class returns or throws contains it.
 */
public final class ProviderClient implements ProviderTransport {

    private static final int EXCERPT_CHARS = 200;

    /** Names this process to providers (and in their logs): host and pid. */
    public static final String USER_AGENT =
            "llm-dispatch (" + host() + "; pid " + ProcessHandle.current().pid() + ")";

    private final HttpClient http;
    private final Ticker ticker;
    private final Sleeper sleeper;

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    public ProviderClient() {
        this(Ticker.SYSTEM, Sleeper.SYSTEM);
    }

    /** @param ticker times each call; @param sleeper times the watchdog of a stream that stops coming */
    public ProviderClient(Ticker ticker, Sleeper sleeper) {
        this.ticker = ticker;
        this.sleeper = sleeper;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /**
     * {@inheritDoc} The gate is asked when the JDK client builds the request's headers, after its connection is
     * open; a streamed answer is one whose reply is {@code text/event-stream}.
     */
    @Override
    public ProviderReply post(
            String baseUrl,
            String path,
            String apiKey,
            ObjectNode body,
            String requestId,
            Duration timeout,
            WriteGate gate,
            StreamSink sink) {
        SendCheck check = new SendCheck(HttpRequest.BodyPublishers.ofByteArray(JobCodec.toBytes(body)), gate);
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/" + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .header("User-Agent", USER_AGENT)
                .POST(check)
                .build();
        ProviderReply reply = sink == null ? send(request) : sendStreamed(request, sink);
        if (check.refused) {
            return new ProviderReply(0, null, null, null, ProviderReply.NOT_SENT, reply.millis(), false);
        }
        return new ProviderReply(
                reply.status(),
                reply.json(),
                reply.bodyExcerpt(),
                reply.retryAfter(),
                reply.transportError(),
                reply.millis(),
                check.asked);
    }

    /**
     * A body publisher that asks whether the request may still go at the moment the JDK client builds its headers:
     * on HTTP/1.1 that is after the connection is open and before anything is written
     * ({@code Http1Request.headers()} reads the content length there). Refused, it fails the exchange before a
     * byte leaves. Let go, it tells the gate when the client has taken the body (after the headers): a JVM starved
     * between the two sends the request that much later.
     */
    private static final class SendCheck implements HttpRequest.BodyPublisher {
        private final HttpRequest.BodyPublisher body;
        private final WriteGate gate;
        private volatile boolean asked;
        private volatile boolean refused;

        SendCheck(HttpRequest.BodyPublisher body, WriteGate gate) {
            this.body = body;
            this.gate = gate;
        }

        @Override
        public long contentLength() {
            if (!asked) {
                asked = true;
                if (!gate.mayWrite()) {
                    refused = true;
                }
            }
            if (refused) {
                throw new IllegalStateException(ProviderReply.NOT_SENT);
            }
            return body.contentLength();
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            body.subscribe(new Flow.Subscriber<ByteBuffer>() {
                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    subscriber.onSubscribe(subscription);
                }

                @Override
                public void onNext(ByteBuffer item) {
                    subscriber.onNext(item);
                }

                @Override
                public void onError(Throwable throwable) {
                    subscriber.onError(throwable);
                }

                @Override
                public void onComplete() {
                    try {
                        if (asked && !refused) {
                            gate.left();
                        }
                    } finally {
                        subscriber.onComplete(); // whatever the gate did, the body is complete
                    }
                }
            });
        }
    }

    @Override
    public ProviderReply get(String baseUrl, String path, String apiKey, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/" + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + apiKey)
                .header("User-Agent", USER_AGENT)
                .GET()
                .build();
        return send(request);
    }

    /**
     * The whole call, body included, within the request's timeout: the JDK client's own timeout covers the wait for
     * the headers only, and a body that stalls after them would hold the call (and its job) for good. A watchdog
     * closes the body at the deadline.
     */
    private ProviderReply send(HttpRequest request) {
        long start = ticker.nanos();
        AtomicBoolean settled = new AtomicBoolean();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            InputStream body = response.body();
            Thread watchdog = watch(body, request, start, settled);
            try (InputStream in = body) {
                byte[] bytes = in.readAllBytes();
                if (!settled.compareAndSet(false, true)) {
                    return timedOut(request, start); // cut at the deadline: what came is not the answer
                }
                long millis = ticker.millisSince(start);
                JsonNode json = parse(bytes);
                return new ProviderReply(
                        response.statusCode(), json, excerpt(bytes), retryAfter(response), null, millis);
            } finally {
                watchdog.interrupt();
            }
        } catch (IOException e) {
            return settled.get() ? timedOut(request, start) : failed(request, start, e); // settled here: cut
        } catch (InterruptedException e) {
            return failed(request, start, e);
        }
    }

    /**
     * Closes {@code body} when the call's deadline (its start plus the request's timeout) passes before the reader
     * settles the call: whichever of the two sets {@code settled} first decides, so a whole answer read just before
     * the deadline stands, and a body cut at it is a timeout.
     */
    private Thread watch(InputStream body, HttpRequest request, long start, AtomicBoolean settled) {
        Duration left = timeout(request).minusNanos(ticker.nanos() - start);
        return Thread.ofVirtual().start(() -> {
            try {
                sleeper.sleep(left);
                if (!settled.compareAndSet(false, true)) {
                    return; // the reader finished first: its answer stands
                }
                body.close();
            } catch (InterruptedException | IOException e) {
                // the call ended first
            }
        });
    }

    private static Duration timeout(HttpRequest request) {
        return request.timeout().orElse(Duration.ofMinutes(10));
    }

    private ProviderReply timedOut(HttpRequest request, long start) {
        return failed(start, "timeout after " + timeout(request));
    }

    /** A call whose answer may be streamed: chunks go to {@code sink} and are assembled into the reply's body. */
    private ProviderReply sendStreamed(HttpRequest request, StreamSink sink) {
        long start = ticker.nanos();
        AtomicBoolean settled = new AtomicBoolean();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            boolean events = response.headers()
                    .firstValue("Content-Type")
                    .map(t -> t.startsWith("text/event-stream"))
                    .orElse(false);
            InputStream body = response.body();
            // the whole call within the request's timeout, counted from its start: a stream that stops coming is cut
            // there, not a timeout after its headers
            Thread watchdog = watch(body, request, start, settled);
            try (InputStream in = body) {
                if (response.statusCode() != 200 || !events) {
                    byte[] bytes = in.readAllBytes();
                    if (!settled.compareAndSet(false, true)) {
                        return timedOut(request, start);
                    }
                    return new ProviderReply(
                            response.statusCode(),
                            parse(bytes),
                            excerpt(bytes),
                            retryAfter(response),
                            null,
                            ticker.millisSince(start));
                }
                StreamedAnswer answer = new StreamedAnswer();
                BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                boolean done = false;
                for (String line = lines.readLine(); line != null && !done; line = lines.readLine()) {
                    if (!line.startsWith("data:")) {
                        continue; // blank separators, comments, event names
                    }
                    String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) {
                        done = true;
                        break; // the answer is whole: read no further line (none may come before the deadline)
                    }
                    JsonNode chunk = parse(data.getBytes(StandardCharsets.UTF_8));
                    if (chunk == null || !chunk.isObject()) {
                        return new ProviderReply(
                                200,
                                null,
                                excerpt(data.getBytes(StandardCharsets.UTF_8)),
                                null,
                                null,
                                ticker.millisSince(start));
                    }
                    if (chunk.has("error")) { // the provider gave up mid-stream
                        return new ProviderReply(
                                500,
                                chunk,
                                excerpt(data.getBytes(StandardCharsets.UTF_8)),
                                null,
                                null,
                                ticker.millisSince(start));
                    }
                    answer.add(chunk);
                    sink.chunk(chunk);
                }
                long millis = ticker.millisSince(start);
                if (!answer.finished()) {
                    return settled.get()
                            ? timedOut(request, start)
                            : failed(start, "connection error: the stream ended before its last chunk");
                }
                return new ProviderReply(200, answer.toCompletion(), "", null, null, millis);
            } finally {
                watchdog.interrupt();
            }
        } catch (IOException e) {
            return settled.get() ? timedOut(request, start) : failed(request, start, e); // settled here: cut
        } catch (InterruptedException e) {
            return failed(request, start, e);
        }
    }

    /** A call that got no answer: timed out, its connection failed, or its thread was interrupted. */
    private ProviderReply failed(HttpRequest request, long start, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return failed(start, "interrupted");
        }
        if (e instanceof HttpTimeoutException) {
            return timedOut(request, start); // the headers' wait, the JDK client's own timeout
        }
        return failed(
                start,
                "connection error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }

    private ProviderReply failed(long start, String error) {
        return new ProviderReply(0, null, null, null, error, ticker.millisSince(start));
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
                .replaceAll("\\s+", " ")
                .trim();
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
                return Duration.ofMillis(
                        (long) (Double.parseDouble(seconds.get().trim()) * 1000));
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
