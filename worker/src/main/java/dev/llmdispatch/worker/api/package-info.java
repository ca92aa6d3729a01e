/**
 * The HTTP ingress for jobs ({@code POST /api/jobs}).
 */
package dev.llmdispatch.worker.api;
