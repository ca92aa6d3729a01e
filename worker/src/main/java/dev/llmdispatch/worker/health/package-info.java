/**
 * The wiring of health: probes of blocked accounts, the emergency check, the check of each provider at startup, the
 * health endpoint's view of the accounts and emergency mode, and health metrics.
 */
package dev.llmdispatch.worker.health;
