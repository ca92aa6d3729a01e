/**
 * Simulated providers as real HTTP servers with the accounts' limits, latencies and faults: the tests' and the
 * benchmark's referee, which counts every call at arrival.
 */
package dev.llmdispatch.simulator;
