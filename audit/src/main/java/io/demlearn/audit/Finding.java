package io.demlearn.audit;

/** The first record that does not follow from the log, where it is, and why. */
public record Finding(String where, String problem) {}
