package io.demlearn.core.strategy;

/**
 * Where an agent stands at the start of a round: the model it is evaluated with, the model its
 * local training starts from, and the model its proximal term pulls toward (null: none).
 */
public record AgentStart(float[] evalModel, float[] startModel, float[] proxTarget) {}
