package dev.llmdispatch.api;

/** {@code POST /api/jobs?wait=0}: the job is on its priority's topic; its result will come on the reply topic. */
public record SubmitAccepted(String id, String priority) {}
