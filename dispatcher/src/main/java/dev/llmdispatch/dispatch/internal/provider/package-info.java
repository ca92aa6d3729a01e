/**
 * The HTTP client of the providers' OpenAI-compatible APIs, with the check at the moment a request is written, and
 * the reply as received.
 */
package dev.llmdispatch.dispatch.internal.provider;
