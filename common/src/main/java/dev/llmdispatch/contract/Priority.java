package dev.llmdispatch.contract;

/** A job's priority: the topic it was put on. HIGH is served before MEDIUM before LOW. */
public enum Priority {
    HIGH,
    MEDIUM,
    LOW
}
