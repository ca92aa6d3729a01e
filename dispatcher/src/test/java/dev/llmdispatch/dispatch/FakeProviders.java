package dev.llmdispatch.dispatch;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.dispatch.config.AccountSettings;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.dispatch.internal.provider.ProviderReply;
import dev.llmdispatch.dispatch.internal.provider.ProviderTransport;
import dev.llmdispatch.dispatch.internal.provider.WriteGate;
import dev.llmdispatch.dispatch.spi.StreamSink;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Providers that answer from memory, for the dispatcher's rules: each account (known by its API key) answers as
 * told ({@link #answer}), healthy by default, and every request that arrives is counted at its arrival, as a provider
 * counts it. The {@link WriteGate} is asked before a request "leaves", as the HTTP client asks it: a request it holds
 * back never arrives. The simulator plays the same faults over real HTTP for the tests of the whole worker.
 */
final class FakeProviders implements ProviderTransport {

    /** How an account answers a request that reached it. */
    @FunctionalInterface
    interface Answer {
        ProviderReply answer(Request request) throws InterruptedException;
    }

    /** A request as the provider sees it. */
    record Request(String account, String path, String jobId, ObjectNode body) {}

    /** One request that reached a provider, logged when its answer was given (with the time it arrived). */
    record Call(String account, String path, String jobId, ObjectNode body, long arrivedNanos, int status) {}

    private final Map<String, String> accountByKey = new HashMap<>();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger sendChecks = new AtomicInteger();
    private final AtomicInteger stalls = new AtomicInteger();
    private volatile Duration stall = Duration.ZERO;

    FakeProviders(DispatchSettings settings) {
        settings.providers().values().forEach(p -> {
            for (AccountSettings a : p.accounts()) {
                accountByKey.put(a.apiKey(), a.id());
            }
        });
    }

    /** From now on, {@code account} ("*" for every account without its own answer) answers so. */
    FakeProviders answer(String account, Answer answer) {
        answers.put(account, answer);
        return this;
    }

    /** Every account answers healthily again. */
    void heal() {
        answers.clear();
    }

    /** The requests that reached the providers and were answered, in the order of their answers. */
    List<Call> calls() {
        return List.copyOf(calls);
    }

    List<Call> calls(String account) {
        return calls.stream().filter(c -> c.account().equals(account)).toList();
    }

    /** Requests at the account whose answer has not been given yet. */
    int inFlight(String account) {
        AtomicInteger n = inFlight.get(account);
        return n == null ? 0 : n.get();
    }

    /**
     * The next {@code times} requests stall {@code stall} between their grant and the moment they would leave: a JVM
     * starved, or a slow new connection, as the HTTP client meets them before it asks the send check.
     */
    void stallBeforeSend(Duration stall, int times) {
        this.stall = stall;
        stalls.set(times);
    }

    /** How often the send check was asked: every request that was about to leave, sent or held back. */
    int sendChecks() {
        return sendChecks.get();
    }

    /** Ends every {@link #held()} answer: they answer healthily now. */
    void release() {
        release.countDown();
    }

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
        if (stalls.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            try {
                Thread.sleep(stall);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ProviderReply(0, null, null, null, "interrupted", 0, false);
            }
        }
        sendChecks.incrementAndGet();
        if (!gate.mayWrite()) {
            return new ProviderReply(0, null, null, null, ProviderReply.NOT_SENT, 0, false);
        }
        gate.left();
        String account = accountByKey.getOrDefault(apiKey, "unknown-key");
        long arrived = System.nanoTime();
        AtomicInteger running = inFlight.computeIfAbsent(account, k -> new AtomicInteger());
        running.incrementAndGet();
        ProviderReply reply;
        try {
            Answer answer = answers.getOrDefault(account, answers.getOrDefault("*", FakeProviders::healthy));
            reply = answer.answer(new Request(account, path, requestId, body.deepCopy()));
        } catch (InterruptedException e) {
            // as the HTTP client: a call cut off by its thread's interrupt has no answer, and may still run
            Thread.currentThread().interrupt();
            reply = new ProviderReply(0, null, null, null, "interrupted", millisSince(arrived), true);
        } finally {
            running.decrementAndGet();
        }
        calls.add(new Call(account, path, requestId, body, arrived, reply.status()));
        return reply;
    }

    @Override
    public ProviderReply get(String baseUrl, String path, String apiKey, Duration timeout) {
        return reply(
                200,
                JobCodec.mapper()
                        .createObjectNode()
                        .set("data", JobCodec.mapper().createArrayNode()));
    }

    @Override
    public void close() {
        release();
    }

    // ---- answers ----

    /** A provider's answer: a completion (with reasoning when asked for thinking), or an embedding. */
    static ProviderReply healthy(Request request) {
        ObjectNode out = JobCodec.mapper().createObjectNode();
        ObjectNode usage = out.putObject("usage").put("prompt_tokens", 7).put("completion_tokens", 3);
        usage.put("total_tokens", 10);
        if (request.path().startsWith("embeddings")) {
            out.putArray("data")
                    .addObject()
                    .put("index", 0)
                    .putArray("embedding")
                    .add(0.1)
                    .add(0.2);
            return reply(200, out);
        }
        JsonNode messages = request.body().path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            return reply(400, error("'messages' must be a non-empty array", "invalid_request_error"));
        }
        ObjectNode message = out.putArray("choices").addObject().putObject("message");
        message.put("role", "assistant").put("content", "answer to " + request.jobId());
        if (request.body().path("chat_template_kwargs").path("thinking").asBoolean(false)) {
            message.put("reasoning_content", "thought about " + request.jobId());
        }
        return reply(200, out);
    }

    /** An HTTP error with OpenAI's error body. */
    static Answer status(int status) {
        return r -> reply(status, error("status " + status, status == 401 ? "invalid_api_key" : "error"));
    }

    /** A server that is down: 503 to everything. */
    static Answer down() {
        return r -> reply(503, error("service unavailable", "server_error"));
    }

    /** A 200 whose body is cut off: not JSON. */
    static Answer malformed() {
        return r -> new ProviderReply(200, null, "{\"choices\": [{\"mess", null, null, 1);
    }

    /** A 429 asking to wait {@code retryAfter}. */
    static Answer rateLimited(Duration retryAfter) {
        return r -> new ProviderReply(
                429, error("rate limit reached", "rate_limit_exceeded"), "rate limit", retryAfter, null, 1);
    }

    /** {@code fault} for a share {@code rate} of the requests (seeded), else healthy. */
    static Answer sometimes(double rate, long seed, Answer fault) {
        Random random = new Random(seed);
        return r -> {
            boolean faulty;
            synchronized (random) {
                faulty = random.nextDouble() < rate;
            }
            return faulty ? fault.answer(r) : healthy(r);
        };
    }

    /** Holds the request until {@link #release()}, then answers healthily: a long generation. */
    Answer held() {
        return r -> {
            release.await();
            return healthy(r);
        };
    }

    private static ObjectNode error(String message, String type) {
        ObjectNode body = JobCodec.mapper().createObjectNode();
        body.putObject("error").put("message", message).put("type", type).put("code", type);
        return body;
    }

    private static ProviderReply reply(int status, ObjectNode body) {
        return new ProviderReply(status, body, body.toString(), null, null, 1);
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
