package dev.llmdispatch.worker.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Keys and tokens as the worker keeps them: SHA-256 of the secret, never the secret. A key is a random 32-byte
 * token, so a fast hash is the right one (as for GitHub's or Stripe's API keys): there is nothing to guess by brute
 * force, and checking a key costs microseconds on every request.
 */
public final class Secrets {

    /** How a configured secret says it is already hashed: {@code sha256:<64 hex digits>}. */
    public static final String HASHED = "sha256:";

    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** The SHA-256 of a presented secret, in lower-case hex. */
    public static String hash(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * The hash of a secret as configured: {@code sha256:<hex>} as given, anything else hashed here.
     *
     * @param what names the setting in the error (never the secret)
     */
    public static String hashOfConfigured(String configured, String what) {
        String value = configured.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (value.regionMatches(true, 0, HASHED, 0, HASHED.length())) {
            String hex = value.substring(HASHED.length()).toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException(what + " starts with sha256: but is not followed by 64 hex digits");
            }
            return hex;
        }
        return hash(value);
    }

    /** Whether two hashes are equal, in time that does not depend on where they differ. */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    /** A new API key: {@code sk-ld-} and 32 random bytes, URL-safe. */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "sk-ld-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The first characters of a key's hash, enough to name it in a list or a log line. */
    public static String keyId(String hash) {
        return hash.substring(0, 12);
    }
}
