package dev.llmdispatch.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Redis command over a plain socket, for setting up and reading servers this kit started (cluster slots, sentinel
 * state, {@code INFO commandstats} for the benchmark) without a client library's own traffic.
 */
public final class RedisWire {

    private RedisWire() {}

    /** One command in RESP; the reply as text (a simple string, an integer, or a bulk string). */
    public static String command(int port, List<String> args) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            StringBuilder out = new StringBuilder("*").append(args.size()).append("\r\n");
            for (String a : args) {
                out.append('$')
                        .append(a.getBytes(StandardCharsets.UTF_8).length)
                        .append("\r\n")
                        .append(a)
                        .append("\r\n");
            }
            OutputStream os = socket.getOutputStream();
            os.write(out.toString().getBytes(StandardCharsets.UTF_8));
            os.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String line = readLine(in);
            return switch (line.charAt(0)) {
                case '+', ':' -> line.substring(1);
                case '-' -> "ERR " + line.substring(1);
                case '$' -> {
                    int n = Integer.parseInt(line.substring(1));
                    byte[] body = in.readNBytes(n);
                    yield new String(body, StandardCharsets.UTF_8);
                }
                default -> line;
            };
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read(); // '\n'
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** Calls per command since the server started ({@code INFO commandstats}), e.g. {@code evalsha -> 1200}. */
    public static Map<String, Long> commandCalls(int port) throws IOException {
        Map<String, Long> calls = new LinkedHashMap<>();
        for (String line : command(port, List.of("INFO", "commandstats")).split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                String stats = line.substring(line.indexOf(':') + 1);
                for (String field : stats.split(",")) {
                    if (field.startsWith("calls=")) {
                        calls.put(name, Long.parseLong(field.substring("calls=".length())));
                    }
                }
            }
        }
        return calls;
    }

    /**
     * Commands the server ran ({@code INFO stats total_commands_processed}); on Redis 7 each command a script runs
     * counts as well as the script's call itself.
     */
    public static long commandsProcessed(int port) throws IOException {
        for (String line : command(port, List.of("INFO", "stats")).split("\\r?\\n")) {
            if (line.startsWith("total_commands_processed:")) {
                return Long.parseLong(
                        line.substring("total_commands_processed:".length()).trim());
            }
        }
        throw new IllegalStateException("INFO stats has no total_commands_processed");
    }
}
