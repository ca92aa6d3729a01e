package dev.llmdispatch.worker.security;

import dev.llmdispatch.contract.JobCodec;
import dev.llmdispatch.dispatch.TierRule;
import dev.llmdispatch.dispatch.config.DispatchSettings;
import dev.llmdispatch.store.redis.RedisStores;
import dev.llmdispatch.worker.config.DispatchProperties;
import dev.llmdispatch.worker.observe.Metrics;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;

/**
 * Two ways in, two credentials, secure by default:
 *
 * <ul>
 *   <li>{@code /v1/*} (the OpenAI-compatible API) and {@code /api/*} take a tenant's API key; with no key configured
 *       or made, every call is refused with 401;
 *   <li>everything else ({@code /admin/*}, the dashboard, actuator) takes the admin token
 *       ({@code dispatch.security.admin-token}); only {@code /actuator/health} stays open, for probes.
 * </ul>
 *
 * Stateless (no session, no cookie, so no CSRF to guard), and CORS closed unless origins are configured.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
public class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    @Bean
    ApiKeys apiKeys(DispatchProperties properties, RedissonClient redis) {
        return ApiKeys.of(properties.tenants(), redis, properties.keyPrefix());
    }

    @Bean
    TenantBudgets tenantBudgets(RedisStores stores) {
        return new TenantBudgets(stores.tenants());
    }

    @Bean
    TenantGate tenantGate(
            TenantBudgets budgets,
            DispatchSettings settings,
            DispatchProperties properties,
            Clock clock,
            Metrics metrics,
            ApiKeys keys) {
        return new TenantGate(budgets, TierRule.of(settings, properties.routingRules(), clock), metrics, keys::tenant);
    }

    @Bean
    @Order(1)
    SecurityFilterChain keyedApi(HttpSecurity http, ApiKeys keys, DispatchProperties properties) throws Exception {
        stateless(http, properties)
                .securityMatcher("/v1/**", "/api/**")
                .addFilterBefore(
                        new CredentialFilter(
                                "TENANT", (user, key) -> key.isEmpty() ? Optional.empty() : keys.tenantFor(key)),
                        AuthorizationFilter.class)
                .authorizeHttpRequests(a -> a.dispatcherTypeMatchers(DispatcherType.ERROR)
                        .permitAll()
                        .anyRequest()
                        .hasRole("TENANT"))
                .exceptionHandling(e -> e.authenticationEntryPoint(SecurityConfiguration::refuseKey));
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain admin(HttpSecurity http, DispatchProperties properties) throws Exception {
        String configured = properties.security().adminToken();
        String hash = configured == null || configured.isBlank()
                ? null
                : Secrets.hashOfConfigured(configured, "dispatch.security.admin-token");
        stateless(http, properties)
                .addFilterBefore(
                        new CredentialFilter(
                                "ADMIN",
                                (user, token) -> hash != null
                                                && (user.isEmpty() || user.equals("admin"))
                                                && Secrets.sameHash(hash, Secrets.hash(token))
                                        ? Optional.of("admin")
                                        : Optional.empty()),
                        AuthorizationFilter.class)
                .authorizeHttpRequests(a -> a.dispatcherTypeMatchers(DispatcherType.ERROR)
                        .permitAll() // the error page of a request already let in (or refused) by its own chain
                        .requestMatchers("/actuator/health", "/actuator/health/**")
                        .permitAll()
                        .requestMatchers("/runbooks", "/runbooks/", "/runbooks/*")
                        .permitAll() // the on-call runbooks: no secret in them, and an alert's link must open
                        .anyRequest()
                        .hasRole("ADMIN"))
                .exceptionHandling(e -> e.authenticationEntryPoint(SecurityConfiguration::refuseAdmin));
        return http.build();
    }

    private static HttpSecurity stateless(HttpSecurity http, DispatchProperties properties) throws Exception {
        List<String> origins = properties.security().corsAllowedOrigins();
        return http.csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .anonymous(a -> a.disable())
                .cors(c -> c.configurationSource(cors(origins == null ? List.of() : origins)));
    }

    /** CORS: closed (no header, so browsers refuse cross-origin calls) unless origins are configured. */
    private static UrlBasedCorsConfigurationSource cors(List<String> origins) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        if (!origins.isEmpty()) {
            CorsConfiguration config = new CorsConfiguration();
            config.setAllowedOrigins(origins);
            config.setAllowedMethods(List.of("GET", "POST", "DELETE"));
            config.setAllowedHeaders(List.of("*")); // OpenAI's browser SDK sends its own X-Stainless-* headers
            config.setExposedHeaders(List.of("Retry-After", "X-Job-Id", "X-Provider-Account"));
            source.registerCorsConfiguration("/**", config);
        }
        return source;
    }

    /** 401 for an API call: in OpenAI's error format under {@code /v1}, a problem detail under {@code /api}. */
    static void refuseKey(
            HttpServletRequest request,
            HttpServletResponse response,
            org.springframework.security.core.AuthenticationException e)
            throws IOException {
        boolean missing = !"invalid".equals(request.getAttribute(CredentialFilter.REFUSED));
        String message = missing
                ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'."
                : "Incorrect API key provided. Ask an admin for a key of your tenant (llm-dispatch keys create).";
        response.setHeader("WWW-Authenticate", "Bearer");
        if (request.getRequestURI().startsWith("/v1/")) {
            OpenAiErrors.write(response, HttpStatus.UNAUTHORIZED, message, "invalid_request_error", "invalid_api_key");
        } else {
            problem(response, HttpStatus.UNAUTHORIZED, message);
        }
    }

    static void refuseAdmin(
            HttpServletRequest request,
            HttpServletResponse response,
            org.springframework.security.core.AuthenticationException e)
            throws IOException {
        response.setHeader("WWW-Authenticate", "Basic realm=\"llm-dispatch admin\", charset=\"UTF-8\"");
        problem(
                response,
                HttpStatus.UNAUTHORIZED,
                "this route needs the admin token (dispatch.security.admin-token): 'Authorization: Bearer <token>', "
                        + "or HTTP Basic with user admin");
    }

    static void problem(HttpServletResponse response, HttpStatus status, String detail) throws IOException {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(JobCodec.mapper().writeValueAsBytes(problem));
    }

    /** Says at startup what is locked and how to open it. */
    @Bean
    ApplicationListener<ApplicationReadyEvent> securityStartupNotice(ApiKeys keys, DispatchProperties properties) {
        return event -> {
            if (!keys.anyKey()) {
                log.warn(
                        "no API key is configured: /v1/* and /api/jobs refuse every call with 401. Add one under "
                                + "dispatch.tenants.<tenant>.keys (the key, or sha256:<hex> of it), or make one with "
                                + "'llm-dispatch keys create --tenant <tenant>' (tenants configured: {})",
                        keys.tenants().keySet());
            }
            String admin = properties.security().adminToken();
            if (admin == null || admin.isBlank()) {
                log.warn("dispatch.security.admin-token is not set: /admin/*, the dashboard and actuator (but "
                        + "/actuator/health) refuse every call with 401");
            }
        };
    }
}
