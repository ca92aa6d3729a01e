/**
 * What the worker's HTTP endpoints answer, as records: {@code GET /admin/status} ({@link StatusReport}), {@code GET
 * /admin/dashboard} ({@link DashboardReport}) and {@code POST /api/jobs?wait=0} ({@link SubmitAccepted}); the
 * dead-letter endpoints answer {@link dev.llmdispatch.client.DeadLetters}' own records. The worker serialises them and
 * the command line reads them back, so both sides share one definition. Fields a worker cannot know (the live use of a
 * disabled account, the queue lag while Kafka is unreachable) are left out of the JSON rather than written as null.
 */
package dev.llmdispatch.api;
