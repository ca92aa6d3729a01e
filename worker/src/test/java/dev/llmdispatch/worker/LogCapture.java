package dev.llmdispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every log line of the JVM while open (root logger), to check that no secret reaches a log. */
final class LogCapture implements AutoCloseable {

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    LogCapture() {
        lines.start();
        root.addAppender(lines);
    }

    /** Stops capturing, and checks that lines were captured and none (message or exception) holds any secret. */
    void assertNoneContains(List<String> secrets) {
        close();
        assertThat(lines.list)
                .isNotEmpty()
                .noneSatisfy(e -> assertThat(e.getFormattedMessage()
                                + (e.getThrowableProxy() == null
                                        ? ""
                                        : e.getThrowableProxy().getMessage()))
                        .containsAnyOf(secrets.toArray(String[]::new)));
    }

    @Override
    public void close() {
        root.detachAppender(lines);
    }
}
