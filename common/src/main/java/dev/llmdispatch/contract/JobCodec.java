package dev.llmdispatch.contract;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The JSON codec of the contract: one shared, thread-safe mapper. */
public final class JobCodec {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            // absent fields read as defaults; unknown fields are ignored (Jackson 3's default)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private JobCodec() {}

    public static JsonMapper mapper() {
        return MAPPER;
    }

    /** Serialises a contract value (Job, JobResult, DeadLetter, a tree) to UTF-8 JSON. */
    public static byte[] toBytes(Object value) {
        return MAPPER.writeValueAsBytes(value);
    }

    public static String toJson(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    /**
     * Parses bytes into a JSON tree.
     *
     * @throws UnreadableRecordException naming what is wrong, when the bytes are not JSON
     */
    public static JsonNode readTree(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new UnreadableRecordException("record has no value");
        }
        try {
            JsonNode tree = MAPPER.readTree(bytes);
            if (tree == null || tree.isMissingNode()) {
                throw new UnreadableRecordException("record value is empty");
            }
            return tree;
        } catch (JacksonException e) {
            throw new UnreadableRecordException("record value is not JSON: " + e.getOriginalMessage());
        }
    }

    public static <T> T read(byte[] bytes, Class<T> type) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (JacksonException e) {
            throw new UnreadableRecordException("not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage());
        }
    }

    public static <T> T fromTree(JsonNode tree, Class<T> type) {
        return MAPPER.treeToValue(tree, type);
    }

    public static JsonNode toTree(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** A JSON null (or missing node) as Java null, so that absent and null fields compare alike. */
    public static JsonNode orNull(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node;
    }

    public static JobResult readResult(byte[] bytes) {
        return read(bytes, JobResult.class);
    }

    public static DeadLetter readDeadLetter(byte[] bytes) {
        return read(bytes, DeadLetter.class);
    }

    /** Thrown when a record cannot be read as JSON at all. */
    public static final class UnreadableRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UnreadableRecordException(String message) {
            super(message);
        }
    }
}
