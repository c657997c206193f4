package io.demlearn.core.metrics;

/**
 * How one agent's model did: right answers on its own test data and on the union of all agents'
 * test data. Agents in the pipeline compute their own and publish it with their update.
 */
public record AgentScore(long ownCorrect, long ownTotal, long allCorrect, long allTotal) {}
