package dev.llmdispatch.dispatch;

import java.util.Map;
import java.util.Optional;

/** The accounts the fleet skips for now: a 429's Retry-After, a spent quota, a refused key, an open circuit. */
public interface AccountBlocks {

    /** Every account blocked now, by id. */
    Map<String, AccountBlock> all();

    /** The account's block, if it is blocked now. */
    Optional<AccountBlock> blocked(String account);

    boolean isBlocked(String account);
}
