/**
 * Alerts (failure rate, mean latency, open circuits, emergency mode) and where they are sent: the log and webhooks
 * (generic JSON, Feishu, DingTalk, WeCom, Slack).
 */
package dev.llmdispatch.worker.observe.alert;
