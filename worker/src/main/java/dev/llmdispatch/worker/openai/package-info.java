/**
 * The OpenAI-compatible way in: {@code /v1/chat/completions}, {@code /v1/embeddings} and {@code /v1/models}, each
 * request a job on Kafka under its tenant's key and budgets (docs/producing.md, "OpenAI-compatible API").
 */
package dev.llmdispatch.worker.openai;
