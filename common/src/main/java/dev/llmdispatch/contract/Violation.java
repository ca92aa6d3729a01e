package dev.llmdispatch.contract;

/**
 * One broken rule of the contract: the field, the rule, and the bad value (shortened).
 */
public record Violation(String field, String rule, String badValue) {

    private static final int MAX_SHOWN = 80;

    public static Violation of(String field, String rule, Object badValue) {
        return new Violation(field, rule, shorten(badValue));
    }

    /** Reads as "id must match [A-Za-z0-9._:-]{1,128}, but was "a b"". */
    public String message() {
        return badValue == null ? field + " " + rule : field + " " + rule + ", but was " + badValue;
    }

    private static String shorten(Object value) {
        if (value == null) {
            return null;
        }
        String text = value.toString();
        return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "... (" + text.length() + " chars)";
    }

    @Override
    public String toString() {
        return message();
    }
}
