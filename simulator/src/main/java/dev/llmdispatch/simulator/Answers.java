package dev.llmdispatch.simulator;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a provider answers a call it admitted: the request checked as the provider checks it (JSON, model, messages or
 * input, context window), the account's fault applied, the latency slept, and the body written in the provider's
 * shape.
 */
final class Answers {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SimulatorConfig config;
    private final ResponseBodies bodies;
    private final Map<String, Fault> faults;

    /** @param faults the simulator's faults in force, by account ({@code "*"}: every account), read live */
    Answers(SimulatorConfig config, ResponseBodies bodies, Map<String, Fault> faults) {
        this.config = config;
        this.bodies = bodies;
        this.faults = faults;
    }

    /** What an admitted call answers, computed (and slept for) while the call is in flight. */
    Answer answer(AccountState account, boolean chat, byte[] body, long seqNo) {
        Fault fault = faults.getOrDefault(account.account.id(), faults.get("*"));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        boolean hit = fault != null && random.nextDouble() < fault.probability();
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (JacksonException e) {
            return Answer.error(
                    account,
                    400,
                    "invalid_request_error",
                    "body is not JSON: " + e.getOriginalMessage(),
                    CallLog.BAD_REQUEST,
                    null);
        }
        String model = request.path("model").isString() ? request.path("model").stringValue() : null;
        if (!request.isObject()) {
            return Answer.error(
                    account, 400, "invalid_request_error", "body must be a JSON object", CallLog.BAD_REQUEST, model);
        }
        if (model == null) {
            return Answer.error(account, 400, "invalid_request_error", "model is required", CallLog.BAD_REQUEST, null);
        }
        if (!config.models().isEmpty() && !config.models().contains(model)) {
            return Answer.error(
                    account,
                    404,
                    "model_not_found",
                    "The model `" + model + "` does not exist",
                    CallLog.NOT_FOUND,
                    model);
        }
        int completionTokens = Math.max(
                1,
                Math.min(config.completionTokens(), request.path("max_tokens").asInt(config.completionTokens())));
        int promptTokens;
        if (chat) {
            JsonNode messages = request.path("messages");
            if (!messages.isArray() || messages.isEmpty()) {
                return Answer.error(
                        account,
                        400,
                        "invalid_request_error",
                        "messages must be a non-empty array",
                        CallLog.BAD_REQUEST,
                        model);
            }
            promptTokens = ResponseBodies.estimateTokens(messages);
            if (account.account.contextWindow() > 0 && promptTokens > account.account.contextWindow()) {
                return Answer.error(
                        account,
                        400,
                        "context_length_exceeded",
                        "This model's maximum context length is " + account.account.contextWindow()
                                + " tokens, your messages resulted in " + promptTokens,
                        CallLog.CONTEXT_TOO_LONG,
                        model);
            }
        } else {
            JsonNode input = request.path("input");
            if (!(input.isString() || (input.isArray() && !input.isEmpty()))) {
                return Answer.error(
                        account,
                        400,
                        "invalid_request_error",
                        "input must be a string or a non-empty array",
                        CallLog.BAD_REQUEST,
                        model);
            }
            promptTokens = ResponseBodies.estimateTokens(input);
            completionTokens = 0;
        }
        long latency = config.latency().sampleMillis(random, completionTokens);
        if (hit && fault.mode() == Fault.Mode.SLOW) {
            latency += fault.latencyMs();
        }
        if (hit && fault.mode() == Fault.Mode.CROWDED) {
            int inFlight = account.inFlight();
            if (inFlight > fault.limit()) {
                Answer refused = Answer.error(
                        account,
                        429,
                        "rate_limit_exceeded",
                        "Too many requests in flight: the service is overloaded",
                        "fault:crowded",
                        model);
                return refused;
            }
            latency += fault.latencyMs() * inFlight;
        }
        // a streamed chat answer: its first chunk after a fifth of the latency, the rest spread over what is left
        boolean stream = chat && request.path("stream").asBoolean(false);
        long firstToken = stream ? latency / 5 : latency;
        sleep(firstToken);
        if (hit) {
            switch (fault.mode()) {
                case DOWN -> {
                    return Answer.error(
                            account,
                            503,
                            "service_unavailable",
                            "The service is temporarily unavailable",
                            "fault:down",
                            model);
                }
                case FLAKY -> {
                    return Answer.error(account, 500, "internal_error", "Internal server error", "fault:flaky", model);
                }
                case STORM -> {
                    Answer a = Answer.rateLimited(account, fault.retryAfterMs() * 1_000_000L);
                    return new Answer(a.status(), a.body(), a.headers(), "fault:storm", model);
                }
                case STATUS -> {
                    return Answer.error(
                            account,
                            fault.status(),
                            "injected",
                            "injected status " + fault.status(),
                            "fault:status",
                            model);
                }
                case MALFORMED -> {
                    byte[] broken = random.nextBoolean()
                            ? "<html><body>502 Bad Gateway</body></html>".getBytes(StandardCharsets.UTF_8)
                            : "{\"id\":\"chatcmpl-trunc\",\"choices\":[{\"message\":{\"content\":\"Hal"
                                    .getBytes(StandardCharsets.UTF_8);
                    return new Answer(200, broken, Map.of(), "fault:malformed", model);
                }
                case SLOW, CROWDED, STALL -> {
                    // only slower (and refused above past its limit), or stalled when sent: answered as usual below
                }
            }
        }
        ObjectNode response = chat
                ? bodies.chat(request, model, seqNo, promptTokens, completionTokens, account.account.id())
                : bodies.embedding(request, model, promptTokens);
        Answer answer;
        if (stream) {
            boolean usage = request.path("stream_options").path("include_usage").asBoolean(false);
            answer = new Answer(
                    200, JSON.writeValueAsBytes(response), Map.of(), CallLog.OK, model, latency - firstToken, usage);
        } else {
            answer = new Answer(200, JSON.writeValueAsBytes(response), Map.of(), CallLog.OK, model);
        }
        return hit && fault.mode() == Fault.Mode.STALL
                ? answer.stalling(fault.latencyMs() > 0 ? fault.latencyMs() : 60_000)
                : answer;
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
