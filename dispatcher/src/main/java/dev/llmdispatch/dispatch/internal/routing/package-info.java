/**
 * From a job to the accounts that may serve it: its tier (by the prompt and the routing rules), the chain of
 * providers for that tier, and the candidate accounts ({@link dev.llmdispatch.dispatch.internal.routing.Candidate}) in balance
 * order.
 */
package dev.llmdispatch.dispatch.internal.routing;
