package dev.llmdispatch.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that talks to real infrastructure: tagged {@code integration} (so
 * {@code ./mvnw test -DexcludedGroups=integration} runs the fast tests alone) and given an
 * {@link Infrastructure} to use.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("integration")
@ExtendWith(InfrastructureExtension.class)
public @interface IntegrationTest {}
