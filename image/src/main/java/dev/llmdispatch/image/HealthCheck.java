package dev.llmdispatch.image;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health check without a shell or curl in the image: {@code java -cp @/app/jib-classpath-file
 * dev.llmdispatch.image.HealthCheck URL} exits 0 when the URL answers 200 (the worker's
 * {@code /actuator/health/readiness}), 1 otherwise, printing what it got.
 */
public final class HealthCheck {

    private HealthCheck() {}

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : "http://localhost:8080/actuator/health/readiness";
        System.exit(check(url));
    }

    static int check(String url) {
        try (HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println(response.statusCode() + " " + response.body());
            return response.statusCode() == 200 ? 0 : 1;
        } catch (Exception e) {
            System.out.println(url + ": " + e);
            return 1;
        }
    }
}
