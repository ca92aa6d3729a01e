package dev.llmdispatch.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one real Kafka broker and one real redis-server, on free ports, the first time a test asks for
 * them, and stops both when the test run ends. Tests take an {@link Infrastructure} parameter (in a
 * constructor, a lifecycle method or a test method). Topics and keys are the tests' own to keep apart.
 * A test that takes a {@link LocalRedisCluster} parameter gets one three-master cluster, shared the same way.
 */
public final class InfrastructureExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(InfrastructureExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Infrastructure.class || type == LocalRedisCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() == LocalRedisCluster.class) {
            return context.getRoot()
                    .getStore(NAMESPACE)
                    .computeIfAbsent(LocalRedisCluster.class, k -> LocalRedisCluster.start(3), LocalRedisCluster.class);
        }
        return context.getRoot()
                .getStore(NAMESPACE)
                .computeIfAbsent(Running.class, k -> Running.start(), Running.class)
                .infrastructure();
    }

    /** Both servers, closed by JUnit when the root context closes (the end of the run). */
    private record Running(LocalKafka kafka, LocalRedis redis) implements AutoCloseable {
        static Running start() {
            LocalRedis redis = LocalRedis.start(0);
            try {
                return new Running(LocalKafka.start(), redis);
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }

        Infrastructure infrastructure() {
            return new Infrastructure(kafka.bootstrapServers(), redis.url());
        }

        @Override
        public void close() {
            kafka.close();
            redis.close();
        }
    }
}
