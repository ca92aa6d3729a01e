package dev.llmdispatch.dispatch.config;

import java.util.List;

/** The configuration breaks one or more rules; the message lists each with its key and bad value. */
public final class InvalidConfigurationException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Also in the message, which is what survives serialisation. */
    private final transient List<String> errors;

    public InvalidConfigurationException(List<String> errors) {
        super("invalid configuration:\n  - " + String.join("\n  - ", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
