package dev.llmdispatch.dispatch.spi;

/**
 * Every store the core keeps fleet-wide state in, from one deployment's backend ({@code RedisStores} for Redis). The
 * core owns these ports; an adapter implements them and is held to them by the stores' contract tests.
 */
public interface Stores {

    /** The accounts' limits: permits, request and token windows. */
    CapacityStore capacity();

    /** The accounts blocked fleet-wide. */
    BlockStore blocks();

    /** The attempts each job made, kept while it is under way. */
    AttemptLog attempts();

    /** The fleet's emergency-mode flag. */
    EmergencyFlag emergencyFlag();

    /** Whose turn it is to probe a blocked account. */
    ProbeTurns probeTurns();

    /** The tenants' budgets. */
    TenantLedger tenants();

    /** The chunks of streamed answers, between workers. */
    StreamChannel streams();

    /** Who handles each job now, and the outcome it ended with. */
    JobLedger jobs();
}
