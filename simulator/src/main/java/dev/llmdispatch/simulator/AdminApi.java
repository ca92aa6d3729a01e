package dev.llmdispatch.simulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The simulator's admin API: {@code GET /admin/stats}, {@code GET /admin/calls?after=SEQ},
 * {@code GET|POST|DELETE /admin/faults}, {@code POST /admin/reset}.
 */
final class AdminApi {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Simulator simulator;

    AdminApi(Simulator simulator) {
        this.simulator = simulator;
    }

    void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            Map<String, String> query = query(exchange.getRequestURI());
            Object body;
            int status = 200;
            try {
                switch (method + " " + path) {
                    case "GET /admin/stats" -> body = simulator.stats();
                    case "GET /admin/calls" ->
                        body = simulator.calls().since(Long.parseLong(query.getOrDefault("after", "0")));
                    case "GET /admin/faults" -> body = simulator.faults();
                    case "POST /admin/faults" -> {
                        Fault fault = JSON.readValue(exchange.getRequestBody().readAllBytes(), Fault.class);
                        simulator.inject(fault);
                        body = fault;
                    }
                    case "DELETE /admin/faults" -> {
                        simulator.clearFaults(query.get("account"));
                        body = simulator.faults();
                    }
                    case "POST /admin/reset" -> {
                        simulator.reset();
                        body = Map.of("reset", true);
                    }
                    default -> {
                        status = 404;
                        body = Map.of("error", "no admin route " + method + " " + path);
                    }
                }
            } catch (JacksonException e) {
                status = 400;
                body = Map.of("error", e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                status = 400;
                body = Map.of("error", String.valueOf(e.getMessage()));
            }
            Answer.send(exchange, new Answer(status, JSON.writeValueAsBytes(body), Map.of(), null, null));
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
