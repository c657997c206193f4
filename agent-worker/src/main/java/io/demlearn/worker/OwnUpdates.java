package io.demlearn.worker;

import io.demlearn.core.metrics.AgentScore;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.schemas.avro.ModelUpdate;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The update of an agent's finished training, refused before it is published if the pipeline would
 * refuse it (a model that is no longer finite, a norm above the bound): the aggregator would
 * dead-letter it and the round would wait for the agent in vain, so the worker stops and says why.
 */
final class OwnUpdates {
  private final Experiment experiment;
  private final UpdateChecks checks;
  private final LongSupplier clock;

  /**
   * @param clock the time updates are stamped with, epoch milliseconds
   */
  OwnUpdates(Experiment experiment, UpdateChecks checks, LongSupplier clock) {
    this.experiment = experiment;
    this.checks = checks;
    this.clock = clock;
  }

  /**
   * @throws IllegalStateException naming the agent and the round if the update would be refused
   */
  ModelUpdate of(
      String id,
      int round,
      int hierarchyVersion,
      int trainSamples,
      float[] parameters,
      AgentScore score) {
    for (float v : parameters) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "agent %s's model holds %s after round"
                    + " %d's local training: training diverged; try a smaller --learning-rate",
                id,
                v,
                round));
      }
    }
    ModelUpdate update =
        ModelUpdates.of(
            experiment,
            id,
            round,
            hierarchyVersion,
            trainSamples,
            parameters,
            score,
            clock.getAsLong());
    UpdateChecks.Refusal refusal = checks.check(id, update);
    if (refusal != null) {
      // the aggregator would refuse it and the round would wait for this agent in vain
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "agent %s's update for round %d would be refused (%s): %s; is training diverging?"
                  + " (try a smaller --learning-rate, or raise --max-update-norm)",
              id,
              round,
              refusal.reason(),
              refusal.detail()));
    }
    return update;
  }
}
