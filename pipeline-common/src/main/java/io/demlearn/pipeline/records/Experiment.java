package io.demlearn.pipeline.records;

import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.strategy.DemLearnStrategy;
import io.demlearn.schemas.avro.PipelinePolicy;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One experiment as its spec on the {@code experiments} topic describes it: the settings (with the
 * seed, every number follows from them), its agents in index order, and the pipeline's policy for
 * what it refuses and when a round closes without every member. Every service starts from it.
 */
public record Experiment(
    String id, ExperimentSettings settings, List<String> agentIds, PipelinePolicy policy) {
  public Experiment {
    agentIds = List.copyOf(agentIds);
    if (agentIds.size() != settings.agents()) {
      throw new IllegalArgumentException(
          "experiment "
              + id
              + " names "
              + agentIds.size()
              + " agents but its settings have "
              + settings.agents());
    }
    if (new HashSet<>(agentIds).size() != agentIds.size()) {
      throw new IllegalArgumentException("experiment " + id + " names an agent twice");
    }
    checkPolicy(policy);
  }

  /** The defaults: refuse updates with a norm above 1e6, wait for every member of a round. */
  public static PipelinePolicy defaultPolicy() {
    return PipelinePolicy.newBuilder().build();
  }

  /**
   * A policy, checked: {@code --max-update-norm}, {@code --straggler-timeout}, {@code --quorum}.
   */
  public static PipelinePolicy policy(
      double maxUpdateNorm, long stragglerTimeoutMs, double quorum) {
    PipelinePolicy p =
        PipelinePolicy.newBuilder()
            .setMaxUpdateNorm(maxUpdateNorm)
            .setStragglerTimeoutMs(stragglerTimeoutMs)
            .setQuorum(quorum)
            .build();
    checkPolicy(p);
    return p;
  }

  private static void checkPolicy(PipelinePolicy p) {
    if (!(p.getMaxUpdateNorm() > 0)) {
      throw new IllegalArgumentException(
          "--max-update-norm must be positive, got " + p.getMaxUpdateNorm());
    }
    if (p.getStragglerTimeoutMs() < 0) {
      throw new IllegalArgumentException(
          "--straggler-timeout must be >= 0, got " + p.getStragglerTimeoutMs() / 1000.0 + " s");
    }
    if (!(p.getQuorum() > 0 && p.getQuorum() <= 1)) {
      throw new IllegalArgumentException("--quorum must be in (0, 1], got " + p.getQuorum());
    }
  }

  /** The pipeline's policy by name, for provenance ({@code settings.json}). */
  public Map<String, Object> describePolicy() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("maxUpdateNorm", policy.getMaxUpdateNorm());
    m.put("stragglerTimeoutSeconds", policy.getStragglerTimeoutMs() / 1000.0);
    m.put("quorum", policy.getQuorum());
    if (signed()) {
      m.put("requireSignatures", true);
    }
    return m;
  }

  /**
   * Whether the hierarchy is built from features smaller than the models (a random projection):
   * then each worker publishes its updates' features on {@code clustering-features}, and the
   * clusterer reads those instead of {@code model-updates}.
   */
  public boolean clustersPublishedFeatures() {
    return settings.strategy().clustersReducedFeatures(settings.architecture().dimension());
  }

  /** The root's level: K + 1 for DemLearn, 1 for a global model (FedAvg, FedProx). */
  public int topLevel() {
    return settings.strategy() instanceof DemLearnStrategy d ? d.levels() + 1 : 1;
  }

  /**
   * Whether every update, clustering features record and hierarchy version must be signed by its
   * owner's key in force ({@code agent-keys}); others are refused.
   */
  public boolean signed() {
    return policy.getRequireSignatures();
  }

  /** Whether rounds may close without every member (a straggler timeout is set). */
  public boolean closesEarly() {
    return policy.getStragglerTimeoutMs() > 0;
  }

  /**
   * The agents that must have reported for a round to close early: the quorum of {@code members},
   * at least one.
   */
  public int quorumOf(int members) {
    return Math.max(1, (int) Math.ceil(policy.getQuorum() * members - 1e-9));
  }
}
