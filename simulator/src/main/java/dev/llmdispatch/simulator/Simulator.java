package dev.llmdispatch.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An OpenAI-compatible provider simulator: {@code POST /v1/chat/completions}, {@code POST /v1/embeddings},
 * {@code GET /v1/models}, with accounts selected by API key and held to exact limits. A call over a limit
 * gets 429 (with Retry-After on window limits) and is counted. Admin endpoints: {@code GET /admin/stats},
 * {@code GET /admin/calls?after=SEQ}, {@code GET|POST|DELETE /admin/faults}, {@code POST /admin/reset} ({@link AdminApi}).
 *
 * <p>Each request runs on its own virtual thread; latency is slept, not spun.
 */
public final class Simulator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Simulator.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DEFAULT_MODEL = "sim-model";

    private final SimulatorConfig config;
    private final Map<String, AccountState> byKey = new LinkedHashMap<>();
    private final Map<String, AccountState> byId = new LinkedHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final CallLog callLog;
    private final AtomicLong seq = new AtomicLong();
    private final Clock clock = Clock.systemUTC();
    private final ResponseBodies bodies;
    private final Answers answers;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;

    private Simulator(SimulatorConfig config, InetAddress host) throws IOException {
        this.config = config;
        this.bodies = new ResponseBodies(clock, config.embeddingDimensions());
        this.answers = new Answers(config, bodies, faults);
        for (SimAccount account : config.accounts()) {
            AccountState state = new AccountState(account);
            byKey.put(account.key(), state);
            byId.put(account.id(), state);
        }
        this.callLog = new CallLog(config.callLogCapacity());
        this.server = HttpServer.create(new InetSocketAddress(host, config.port()), 4096);
        server.setExecutor(executor);
        server.createContext("/v1/", this::handleApi);
        server.createContext("/admin/", new AdminApi(this)::handle);
    }

    /** Starts a simulator on the config's port (0: a free one), on loopback. */
    public static Simulator start(SimulatorConfig config) {
        return start(config, InetAddress.getLoopbackAddress());
    }

    /** Starts a simulator on the config's port (0: a free one) at this address ({@code 0.0.0.0}: all of them). */
    public static Simulator start(SimulatorConfig config, InetAddress host) {
        try {
            Simulator simulator = new Simulator(config, host);
            simulator.server.start();
            log.info("provider simulator at {} with accounts {}", simulator.baseUrl(), config.accounts());
            return simulator;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the simulator on port " + config.port() + ": " + e, e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The OpenAI-style base URL, e.g. {@code http://127.0.0.1:PORT/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    public CallLog calls() {
        return callLog;
    }

    /** Per-account statistics (see {@code GET /admin/stats}). */
    public Map<String, Map<String, Object>> stats() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        byId.forEach((id, state) -> out.put(id, state.stats()));
        return out;
    }

    /** Injects a fault on an account ({@code "*"}: every account), replacing that account's previous one. */
    public void inject(Fault fault) {
        if (!fault.account().equals("*") && !byId.containsKey(fault.account())) {
            throw new IllegalArgumentException("fault.account: no account '" + fault.account() + "'");
        }
        faults.put(fault.account(), fault);
    }

    /** The faults in force, by account. */
    Collection<Fault> faults() {
        return faults.values();
    }

    /** Removes the faults of one account, or every fault when {@code account} is null. */
    public void clearFaults(String account) {
        if (account == null) {
            faults.clear();
        } else {
            faults.remove(account);
        }
    }

    /** Forgets stats, windows and the call log (faults stay). */
    public void reset() {
        byId.values().forEach(AccountState::reset);
        callLog.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- the OpenAI-compatible API ----

    private void handleApi(HttpExchange exchange) throws IOException {
        long arrival = System.nanoTime();
        long seqNo = seq.incrementAndGet();
        long atMillis = clock.millis();
        String path = exchange.getRequestURI().getPath();
        String jobId = exchange.getRequestHeaders().getFirst("X-Request-Id");
        try (exchange) {
            AccountState account = byKey.get(bearer(exchange));
            if (account == null) {
                record(
                        seqNo,
                        atMillis,
                        null,
                        path,
                        null,
                        jobId,
                        client(exchange),
                        401,
                        CallLog.UNAUTHORIZED,
                        arrival,
                        List.of());
                respondError(exchange, null, 401, "invalid_api_key", "Incorrect API key provided");
                return;
            }
            if (exchange.getRequestMethod().equals("GET") && path.equals("/v1/models")) {
                handleModels(exchange, account, seqNo, atMillis, jobId, arrival);
                return;
            }
            boolean chat = path.equals("/v1/chat/completions");
            if (!exchange.getRequestMethod().equals("POST") || !(chat || path.equals("/v1/embeddings"))) {
                record(
                        seqNo,
                        atMillis,
                        account,
                        path,
                        null,
                        jobId,
                        client(exchange),
                        404,
                        CallLog.BAD_REQUEST,
                        arrival,
                        List.of());
                respondError(
                        exchange, account, 404, "not_found", "no route " + exchange.getRequestMethod() + " " + path);
                return;
            }
            byte[] body = readBody(exchange.getRequestBody());
            AccountState.Admission admission = account.admit(arrival);
            if (!admission.admitted()) {
                String outcome = admission.refusal() == AccountState.Refusal.RATE_LIMIT
                        ? CallLog.RATE_LIMITED
                        : CallLog.CONCURRENCY_LIMITED;
                record(seqNo, atMillis, account, path, null, jobId, client(exchange), 429, outcome, arrival, List.of());
                refuse(exchange, account, admission);
                return;
            }
            Answer answer;
            try {
                answer = answers.answer(account, chat, body, seqNo);
            } catch (RuntimeException | Error e) {
                account.finish();
                throw e;
            }
            if (!answer.streamed()) {
                account.finish();
            }
            // logged before it is answered: a caller that saw the answer finds the call in the log
            record(
                    seqNo,
                    atMillis,
                    account,
                    path,
                    answer.model(),
                    jobId,
                    client(exchange),
                    answer.status(),
                    answer.outcome(),
                    arrival,
                    chat ? List.of() : CallLog.inputs(body));
            if (answer.streamed()) {
                try { // in flight until its last chunk is sent
                    Answer.stream(exchange, answer);
                } finally {
                    account.finish();
                }
            } else {
                Answer.send(exchange, answer);
            }
        }
    }

    private void handleModels(
            HttpExchange exchange, AccountState account, long seqNo, long atMillis, String jobId, long arrival)
            throws IOException {
        ObjectNode body = JSON.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String model : config.models().isEmpty() ? List.of(DEFAULT_MODEL) : config.models()) {
            data.addObject().put("id", model).put("object", "model").put("owned_by", "simulator");
        }
        Fault fault = faults.getOrDefault(account.account.id(), faults.get("*"));
        Answer answer;
        if (fault != null && fault.mode() == Fault.Mode.DOWN) {
            answer = Answer.error(
                    account, 503, "service_unavailable", "The service is temporarily unavailable", "fault:down", null);
        } else if (fault != null
                && fault.mode() == Fault.Mode.STATUS
                && (fault.status() == 401 || fault.status() == 403)) {
            // a refused key is refused on every endpoint
            answer = Answer.error(
                    account,
                    fault.status(),
                    "invalid_api_key",
                    "injected status " + fault.status(),
                    "fault:status",
                    null);
        } else {
            answer = new Answer(200, JSON.writeValueAsBytes(body), Map.of(), CallLog.OK, null);
        }
        record(
                seqNo,
                atMillis,
                account,
                "/v1/models",
                null,
                jobId,
                client(exchange),
                answer.status(),
                answer.outcome(),
                arrival,
                List.of());
        Answer.send(exchange, answer);
    }

    private void refuse(HttpExchange exchange, AccountState account, AccountState.Admission admission)
            throws IOException {
        if (admission.refusal() == AccountState.Refusal.RATE_LIMIT) {
            Answer.send(exchange, Answer.rateLimited(account, admission.retryAfterNanos()));
        } else {
            Answer.send(
                    exchange,
                    Answer.error(
                            account,
                            429,
                            "concurrency_limit_exceeded",
                            "Too many concurrent requests (limit " + account.account.concurrency() + ")",
                            CallLog.CONCURRENCY_LIMITED,
                            null));
        }
    }

    private static void respondError(
            HttpExchange exchange, AccountState account, int status, String code, String message) throws IOException {
        Answer.send(exchange, Answer.error(account, status, code, message, null, null));
    }

    private void record(
            long seqNo,
            long atMillis,
            AccountState account,
            String path,
            String model,
            String jobId,
            String client,
            int status,
            String outcome,
            long arrivalNanos,
            List<String> inputs) {
        if (account != null) {
            account.count(outcome);
        }
        callLog.add(new CallLog.Call(
                seqNo,
                atMillis,
                account == null ? null : account.account.id(),
                path,
                model,
                jobId,
                status,
                outcome,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrivalNanos),
                client,
                inputs));
    }

    /** Who called: the caller's {@code User-Agent}. */
    private static String client(HttpExchange exchange) {
        return exchange.getRequestHeaders().getFirst("User-Agent");
    }

    private static String bearer(HttpExchange exchange) {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        return auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : "";
    }

    private static byte[] readBody(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
