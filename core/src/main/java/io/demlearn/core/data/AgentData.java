package io.demlearn.core.data;

import java.util.List;

/** One agent's personal data: its id, the labels it was dealt, and its train and test samples. */
public record AgentData(String id, List<Integer> labels, Dataset train, Dataset test) {}
