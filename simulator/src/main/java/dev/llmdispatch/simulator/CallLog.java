package dev.llmdispatch.simulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The simulator's record of every call, newest last, bounded (the oldest are dropped first). */
public final class CallLog {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static final String OK = "ok";
    public static final String RATE_LIMITED = "rate_limited";
    public static final String CONCURRENCY_LIMITED = "concurrency_limited";
    public static final String UNAUTHORIZED = "unauthorized";
    public static final String BAD_REQUEST = "bad_request";
    public static final String NOT_FOUND = "model_not_found";
    public static final String CONTEXT_TOO_LONG = "context_length_exceeded";

    /**
     * One call.
     *
     * @param seq       1, 2, 3 ... in arrival order
     * @param atMillis  arrival, epoch milliseconds
     * @param account   the account id, or null for an unknown key
     * @param path      the request path
     * @param model     the model asked for, or null
     * @param jobId     the caller's {@code X-Request-Id} header, or null
     * @param status    the HTTP status answered
     * @param outcome   ok, rate_limited, concurrency_limited, unauthorized, bad_request, model_not_found,
     *                  context_length_exceeded, or fault:MODE
     * @param latencyMs time from arrival until the answer was ready (the call is in flight for this long)
     * @param client    the caller's {@code User-Agent} (a worker names its process there), or null
     * @param inputs    an embeddings call's inputs as received (each cut to 200 characters), in order; empty
     *                  otherwise
     */
    public record Call(
            long seq,
            long atMillis,
            String account,
            String path,
            String model,
            String jobId,
            int status,
            String outcome,
            long latencyMs,
            String client,
            List<String> inputs) {

        public Call {
            inputs = List.copyOf(inputs);
        }
    }

    /** The inputs of an embeddings request body (a string or an array of strings), each cut to 200 characters. */
    static List<String> inputs(byte[] body) {
        try {
            JsonNode input = JSON.readTree(body).path("input");
            List<String> out = new ArrayList<>();
            if (input.isString()) {
                out.add(cut(input.stringValue()));
            } else {
                input.forEach(i -> out.add(cut(i.asString(""))));
            }
            return out;
        } catch (JacksonException e) {
            return List.of();
        }
    }

    private static String cut(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200);
    }

    private final int capacity;
    private final ArrayDeque<Call> calls = new ArrayDeque<>();
    private long dropped;

    CallLog(int capacity) {
        this.capacity = capacity;
    }

    synchronized void add(Call call) {
        if (calls.size() == capacity) {
            calls.pollFirst();
            dropped++;
        }
        calls.addLast(call);
    }

    /** Calls with {@code seq > afterSeq}, oldest first. */
    public synchronized List<Call> since(long afterSeq) {
        List<Call> out = new ArrayList<>();
        for (Call c : calls) {
            if (c.seq() > afterSeq) {
                out.add(c);
            }
        }
        return out;
    }

    public List<Call> all() {
        return since(0);
    }

    /** How many calls were dropped because the log was full. */
    public synchronized long dropped() {
        return dropped;
    }

    synchronized void clear() {
        calls.clear();
        dropped = 0;
    }
}
