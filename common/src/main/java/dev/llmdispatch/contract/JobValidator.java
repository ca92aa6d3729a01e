package dev.llmdispatch.contract;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Checks a job against the contract's rules, on the JSON tree as received, so that every broken rule is
 * named with its field and bad value, and a job's id can be read even when the rest is wrong.
 */
public final class JobValidator {

    public static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    public static final int DEFAULT_MAX_METADATA_BYTES = 4096;
    public static final List<String> DEFAULT_ALLOWED_REPLY_TOPICS = List.of("llm.results*");
    /** Kafka's own rule for topic names. */
    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    /** Longest string still taken as a job id for a REJECTED result (an id over 128 chars is still readable). */
    private static final int MAX_READABLE_ID = 1024;

    private final Topics topics;
    private final List<Pattern> allowedReplyTopics;
    private final List<String> allowedReplyGlobs;
    private final int maxMetadataBytes;

    public JobValidator(Topics topics, List<String> allowedReplyTopics, int maxMetadataBytes) {
        this.topics = Objects.requireNonNull(topics, "topics");
        if (allowedReplyTopics == null || allowedReplyTopics.isEmpty()) {
            throw new IllegalArgumentException("dispatch.reply.allowed-topics must name at least one topic or pattern");
        }
        if (maxMetadataBytes < 0) {
            throw new IllegalArgumentException("max metadata bytes must be >= 0, but was " + maxMetadataBytes);
        }
        this.allowedReplyGlobs = List.copyOf(allowedReplyTopics);
        this.allowedReplyTopics =
                allowedReplyTopics.stream().map(JobValidator::globToPattern).toList();
        this.maxMetadataBytes = maxMetadataBytes;
    }

    /** The contract's defaults: default topics, replies on {@code llm.results*}, metadata up to 4 KiB. */
    public static JobValidator defaults() {
        return new JobValidator(Topics.DEFAULTS, DEFAULT_ALLOWED_REPLY_TOPICS, DEFAULT_MAX_METADATA_BYTES);
    }

    /** The outcome of checking a record's tree. */
    public sealed interface Check permits Valid, Invalid {}

    /** The job keeps every rule. */
    public record Valid(Job job) implements Check {}

    /**
     * The job breaks at least one rule.
     *
     * @param readableId   the job's id when it could be read (a non-blank string), else null
     * @param usableReplyTo the job's reply topic when it keeps the rules, else null
     */
    public record Invalid(JsonNode tree, String readableId, String usableReplyTo, List<Violation> violations)
            implements Check {
        public String message() {
            return "invalid job: "
                    + String.join(
                            "; ", violations.stream().map(Violation::message).toList());
        }
    }

    /** Checks a job built in code (the producer SDK's early check). */
    public Check check(Job job) {
        return check(JobCodec.toTree(job));
    }

    /** Checks a job as read from a record. */
    public Check check(JsonNode tree) {
        List<Violation> violations = new ArrayList<>();
        if (!tree.isObject()) {
            violations.add(Violation.of("job", "must be a JSON object", tree.getNodeType()));
            return new Invalid(tree, null, null, violations);
        }
        JsonNode v = tree.get("v");
        if (present(v) && !(v.isIntegralNumber() && v.asInt() == Job.VERSION)) {
            violations.add(Violation.of("v", "must be " + Job.VERSION, v));
        }
        String readableId = checkId(tree.get("id"), violations);
        JobKind kind = checkKind(tree.get("kind"), violations);
        checkEnum(tree.get("tier"), "tier", Tier.class, violations);
        checkBoolean(tree, "thinking", violations);
        checkBoolean(tree, "cache", violations);
        checkRequest(tree.get("request"), kind, violations);
        checkDeadline(tree.get("deadline"), violations);
        String replyTo = checkReplyTo(tree.get("replyTo"), violations);
        JsonNode tenant = tree.get("tenant");
        if (present(tenant) && !tenant.isString()) {
            violations.add(Violation.of("tenant", "must be a string", tenant));
        }
        checkMetadata(tree.get("metadata"), violations);
        if (!violations.isEmpty()) {
            return new Invalid(tree, readableId, replyTo, List.copyOf(violations));
        }
        try {
            return new Valid(JobCodec.fromTree(tree, Job.class));
        } catch (RuntimeException e) {
            violations.add(Violation.of("job", "must map onto the Job contract", e.getMessage()));
            return new Invalid(tree, readableId, replyTo, List.copyOf(violations));
        }
    }

    private static boolean present(JsonNode node) {
        return node != null && !node.isNull() && !node.isMissingNode();
    }

    private static String checkId(JsonNode id, List<Violation> violations) {
        if (!present(id)) {
            violations.add(Violation.of("id", "is required", null));
            return null;
        }
        if (!id.isString()) {
            violations.add(Violation.of("id", "must be a string", id));
            return null;
        }
        String value = id.stringValue();
        if (!ID_PATTERN.matcher(value).matches()) {
            violations.add(Violation.of("id", "must be 1-128 chars of [A-Za-z0-9._:-]", '"' + value + '"'));
        }
        return value.isBlank() || value.length() > MAX_READABLE_ID ? null : value;
    }

    private static JobKind checkKind(JsonNode kind, List<Violation> violations) {
        if (!present(kind)) {
            return JobKind.CHAT;
        }
        if (kind.isString()) {
            for (JobKind k : JobKind.values()) {
                if (k.wireName().equals(kind.stringValue())) {
                    return k;
                }
            }
        }
        violations.add(Violation.of("kind", "must be \"chat\" or \"embedding\"", kind));
        return null;
    }

    private static <E extends Enum<E>> void checkEnum(
            JsonNode node, String field, Class<E> type, List<Violation> violations) {
        if (!present(node)) {
            return;
        }
        if (node.isString()) {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(node.stringValue())) {
                    return;
                }
            }
        }
        List<String> names =
                Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
        violations.add(Violation.of(field, "must be one of " + names, node));
    }

    private static void checkBoolean(JsonNode tree, String field, List<Violation> violations) {
        JsonNode node = tree.get(field);
        if (present(node) && !node.isBoolean()) {
            violations.add(Violation.of(field, "must be true or false", node));
        }
    }

    private static void checkRequest(JsonNode request, JobKind kind, List<Violation> violations) {
        if (!present(request)) {
            violations.add(Violation.of("request", "is required", null));
            return;
        }
        if (!request.isObject()) {
            violations.add(Violation.of("request", "must be a JSON object", request.getNodeType()));
            return;
        }
        JsonNode stream = request.get("stream");
        if (present(stream) && !stream.isBoolean()) {
            violations.add(Violation.of("request.stream", "must be true or false", stream));
        } else if (present(stream) && stream.booleanValue() && kind != JobKind.CHAT) {
            violations.add(Violation.of("request.stream", "is for chat jobs only", stream));
        }
        JsonNode streamOptions = request.get("stream_options");
        if (present(streamOptions) && !streamOptions.isObject()) {
            violations.add(Violation.of("request.stream_options", "must be an object when given", streamOptions));
        }
        JsonNode model = request.get("model");
        if (present(model) && !(model.isString() && !model.stringValue().isBlank())) {
            violations.add(Violation.of("request.model", "must be a non-blank string when given", model));
        }
        if (kind == JobKind.CHAT) {
            JsonNode messages = request.get("messages");
            if (!present(messages) || !messages.isArray() || messages.isEmpty()) {
                violations.add(Violation.of(
                        "request.messages",
                        "must be a non-empty array for a chat job",
                        present(messages) ? messages.getNodeType() : null));
            } else {
                for (int i = 0; i < messages.size(); i++) {
                    JsonNode m = messages.get(i);
                    if (!m.isObject() || !m.path("role").isString()) {
                        violations.add(Violation.of("request.messages[" + i + "]", "must be an object with a role", m));
                    }
                }
            }
        } else if (kind == JobKind.EMBEDDING) {
            JsonNode input = request.get("input");
            boolean ok = present(input)
                    && ((input.isString() && !input.stringValue().isEmpty()) || (input.isArray() && !input.isEmpty()));
            if (!ok) {
                violations.add(Violation.of(
                        "request.input",
                        "must be a non-empty string or array for an embedding job",
                        present(input) ? input : null));
            }
        }
    }

    private static void checkDeadline(JsonNode deadline, List<Violation> violations) {
        if (!present(deadline)) {
            return;
        }
        if (deadline.isString()) {
            try {
                Instant.parse(deadline.stringValue());
                return;
            } catch (DateTimeParseException e) {
                // reported below
            }
        }
        violations.add(Violation.of("deadline", "must be an ISO-8601 instant such as 2026-11-26T08:00:00Z", deadline));
    }

    private String checkReplyTo(JsonNode replyTo, List<Violation> violations) {
        if (!present(replyTo)) {
            return topics.results();
        }
        if (!replyTo.isString()) {
            violations.add(Violation.of("replyTo", "must be a topic name", replyTo));
            return null;
        }
        String topic = replyTo.stringValue();
        String broken = replyTopicProblem(topic);
        if (broken != null) {
            violations.add(Violation.of("replyTo", broken, '"' + topic + '"'));
            return null;
        }
        return topic;
    }

    /** Why a topic may not be used as a reply topic, or null when it may. */
    public String replyTopicProblem(String topic) {
        if (!TOPIC_NAME.matcher(topic).matches()) {
            return "must be a Kafka topic name (1-249 chars of [A-Za-z0-9._-])";
        }
        if (topics.priorityOf(topic) != null || topic.equals(topics.deadLetter())) {
            return "must not be a job or dead-letter topic";
        }
        if (allowedReplyTopics.stream().noneMatch(p -> p.matcher(topic).matches())) {
            return "must match dispatch.reply.allowed-topics " + allowedReplyGlobs;
        }
        return null;
    }

    private void checkMetadata(JsonNode metadata, List<Violation> violations) {
        if (!present(metadata)) {
            return;
        }
        if (!metadata.isObject()) {
            violations.add(Violation.of("metadata", "must be a JSON object", metadata.getNodeType()));
            return;
        }
        int size = JobCodec.toJson(metadata).getBytes(StandardCharsets.UTF_8).length;
        if (size > maxMetadataBytes) {
            violations.add(Violation.of(
                    "metadata", "must be at most " + maxMetadataBytes + " bytes of JSON", size + " bytes"));
        }
    }

    /** A glob with {@code *} (any run of characters) as a regular expression. */
    static Pattern globToPattern(String glob) {
        StringBuilder regex = new StringBuilder();
        for (String part : glob.split("\\*", -1)) {
            if (!regex.isEmpty()) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(part));
        }
        return Pattern.compile(regex.toString());
    }
}
