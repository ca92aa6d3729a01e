package dev.llmdispatch.worker.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Reads a request's credential ({@code Authorization: Bearer <secret>}, {@code Basic} with the secret as password, or
 * {@code x-api-key: <secret>}) and, when {@code check} knows it, makes the request authenticated with what it
 * returns as principal. An unknown credential leaves the request unauthenticated, and notes why for the 401.
 */
final class CredentialFilter extends OncePerRequestFilter {

    /** Request attribute: why the request is not authenticated ({@code missing} or {@code invalid}). */
    static final String REFUSED = CredentialFilter.class.getName() + ".refused";

    private static final Logger log = LoggerFactory.getLogger(CredentialFilter.class);

    private final String role;
    private final BiFunction<String, String, Optional<?>> check;

    /**
     * @param check (basic user or "", secret) to the principal, if the credential is good
     */
    CredentialFilter(String role, BiFunction<String, String, Optional<?>> check) {
        this.role = role;
        this.check = check;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String[] credential = credential(request);
        if (credential == null) {
            request.setAttribute(REFUSED, "missing");
        } else {
            Optional<?> principal;
            try {
                principal = check.apply(credential[0], credential[1]);
            } catch (RuntimeException e) { // keys made at run time are in Redis: it did not answer
                log.warn("cannot check a credential: {}", e.getClass().getSimpleName());
                response.setHeader("Retry-After", "5");
                SecurityConfiguration.problem(
                        response,
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "the key cannot be checked now (the limit store does not answer); try again shortly");
                return;
            }
            if (principal.isPresent()) {
                var auth = UsernamePasswordAuthenticationToken.authenticated(
                        principal.get(), null, List.of(new SimpleGrantedAuthority("ROLE_" + role)));
                SecurityContextHolder.getContext().setAuthentication(auth);
            } else {
                request.setAttribute(REFUSED, "invalid");
            }
        }
        chain.doFilter(request, response);
    }

    /** {user, secret}, or null when the request carries none. */
    private static String[] credential(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header != null) {
            if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return new String[] {"", header.substring(7).strip()};
            }
            if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
                try {
                    String decoded = new String(
                            Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
                    int colon = decoded.indexOf(':');
                    return colon < 0
                            ? new String[] {decoded, ""}
                            : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
                } catch (IllegalArgumentException e) {
                    return new String[] {"", ""};
                }
            }
            return new String[] {"", ""};
        }
        String apiKey = request.getHeader("x-api-key");
        return apiKey == null ? null : new String[] {"", apiKey.strip()};
    }
}
