package io.demlearn.pipeline.records;

import io.demlearn.core.metrics.AgentScore;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.ModelUpdate;

/** An agent's update as the {@code model-updates} topic carries it. */
public final class ModelUpdates {
  private ModelUpdates() {}

  /**
   * The update of one agent for one round.
   *
   * @param hierarchyVersion the version the agent trained under (-1: none yet)
   * @param score how the model the agent started the round with did, or null if not evaluated
   */
  public static ModelUpdate of(
      Experiment experiment,
      String agentId,
      int round,
      int hierarchyVersion,
      int trainSamples,
      float[] parameters,
      AgentScore score,
      long producedAtMs) {
    return ModelUpdate.newBuilder()
        .setExperimentId(experiment.id())
        .setRound(round)
        .setHierarchyVersion(hierarchyVersion)
        .setAgentId(agentId)
        .setTrainSamples(trainSamples)
        .setParameters(
            ParameterVectors.of(ExperimentSpecs.toAvro(experiment.settings().model()), parameters))
        .setProducedAtMs(producedAtMs)
        .setEvaluation(
            score == null
                ? null
                : AgentEvaluation.newBuilder()
                    .setOwnCorrect(score.ownCorrect())
                    .setOwnTotal(score.ownTotal())
                    .setAllCorrect(score.allCorrect())
                    .setAllTotal(score.allTotal())
                    .build())
        .build();
  }
}
