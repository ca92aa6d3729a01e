package dev.llmdispatch.dispatch;

/** An account blocked fleet-wide: until when (epoch ms) and why. */
public record AccountBlock(long untilMillis, BlockReason reason) {}
