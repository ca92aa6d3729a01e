package dev.llmdispatch.worker.security;

import dev.llmdispatch.contract.JobCodec;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * Errors as OpenAI's API writes them ({@code {"error": {"message", "type", "param", "code"}}}), so that OpenAI's SDKs
 * raise the right error class (401 AuthenticationError, 403 PermissionDeniedError, 429 RateLimitError, ...) with our
 * sentence as its message.
 */
public final class OpenAiErrors {

    private OpenAiErrors() {}

    /** The error body. */
    public static Map<String, Object> body(String message, String type, String code) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("param", null);
        error.put("code", code);
        return Map.of("error", error);
    }

    static void write(HttpServletResponse response, HttpStatus status, String message, String type, String code)
            throws IOException {
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.getOutputStream().write(JobCodec.mapper().writeValueAsBytes(body(message, type, code)));
    }
}
