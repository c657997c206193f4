package io.demlearn.pipeline.checks;

import io.demlearn.core.experiment.Participation;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.pipeline.records.Features;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.ParameterVector;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * What makes a decoded model update usable, one rule set for every service that reads updates (the
 * aggregator refuses the others onto {@code dead-letters}; the clusterer and the agent workers skip
 * them), so that all of them use the same updates:
 *
 * <ul>
 *   <li>each record on its own ({@link #check}): the experiment's id, a round in {@code [0,
 *       rounds)}, an agent of the experiment, at least one training sample, the experiment's model
 *       kind and dimension, finite parameters, a Euclidean norm within the policy's bound;
 *   <li>in an agent's sequence ({@link #followsOn}): an agent reports the rounds it takes part in
 *       ({@code --sample-fraction}: all, or its rounds of the seeded sample) in order, so an update
 *       counts only if its round is the agent's next one after its last counted update, or, for an
 *       agent catching up, the next after one of its rounds a straggler policy closed without it. A
 *       second update for a round already counted, one for a round the agent does not take part in,
 *       or one that skips rounds otherwise, is not used.
 * </ul>
 */
public final class UpdateChecks {
  /** Why an update is refused. */
  public record Refusal(DeadLetterReason reason, String detail) {}

  private final Experiment experiment;
  private final io.demlearn.schemas.avro.ModelKind kind;
  private final int dimension;
  private final Map<String, Integer> agents = new HashMap<>();
  private final Participation participation;
  private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);

  public UpdateChecks(Experiment experiment) {
    this.experiment = experiment;
    this.kind = ExperimentSpecs.toAvro(experiment.settings().model());
    this.dimension = experiment.settings().architecture().dimension();
    for (int i = 0; i < experiment.agentIds().size(); i++) {
      agents.put(experiment.agentIds().get(i), i);
    }
    this.participation = experiment.settings().participation();
  }

  /**
   * Null if the update passes every check on its own, else the first it fails.
   *
   * @param key the record's key, which must be the update's agent id (it decides the partition, and
   *     so the order in which an agent's updates are read)
   */
  public Refusal check(String key, ModelUpdate u) {
    Refusal refused =
        checkOrigin(key, u.getExperimentId(), u.getAgentId(), u.getRound(), "an update");
    if (refused != null) {
      return refused;
    }
    if (u.getTrainSamples() < 1) {
      return new Refusal(
          DeadLetterReason.INVALID_SAMPLES,
          u.getTrainSamples()
              + " training samples: an update is trained on"
              + " at least one (the number weighs it in sample-weighted averages)");
    }
    ParameterVector p = u.getParameters();
    if (p.getModelKind() != kind || p.getDimension() != dimension) {
      return new Refusal(
          DeadLetterReason.VECTOR_MISMATCH,
          "parameters of a "
              + p.getModelKind()
              + " with "
              + p.getDimension()
              + " values; the experiment's "
              + kind
              + " has "
              + dimension);
    }
    if (p.getValues().remaining() != 4 * dimension) {
      return new Refusal(
          DeadLetterReason.VECTOR_MISMATCH,
          p.getValues().remaining() + " parameter bytes for " + dimension + " float32 values");
    }
    // one bulk copy (a buffer read element by element costs a virtual call each in unoptimised
    // code) into this thread's scratch array: checking 10,000 updates a round allocates nothing
    float[] values = ParameterVectors.toFloats(p, scratch.get());
    scratch.set(values);
    double sumOfSquares = 0;
    for (int k = 0; k < dimension; k++) {
      float v = values[k];
      if (!Float.isFinite(v)) {
        return new Refusal(DeadLetterReason.NON_FINITE, "parameter " + k + " is " + v);
      }
      sumOfSquares += (double) v * v;
    }
    double norm = Math.sqrt(sumOfSquares);
    if (norm > experiment.policy().getMaxUpdateNorm()) {
      return new Refusal(
          DeadLetterReason.NORM_BOUND,
          String.format(
              Locale.ROOT,
              "parameter norm %.6g exceeds the bound %.6g (--max-update-norm)",
              norm,
              experiment.policy().getMaxUpdateNorm()));
    }
    return null;
  }

  /**
   * Null if a record of clustering features passes every check on its own (those of an update's
   * experiment, key, round and agent; the projection's dimension; finite values), else the first it
   * fails.
   */
  public Refusal check(String key, ClusteringFeatures f) {
    Refusal refused =
        checkOrigin(key, f.getExperimentId(), f.getAgentId(), f.getRound(), "features");
    if (refused != null) {
      return refused;
    }
    int dims = experiment.settings().clusterDims();
    if (f.getDimension() != dims || f.getValues().remaining() != 4 * dims) {
      return new Refusal(
          DeadLetterReason.VECTOR_MISMATCH,
          f.getDimension()
              + " features in "
              + f.getValues().remaining()
              + " bytes; the experiment projects to "
              + dims
              + " float32 values");
    }
    float[] values = Features.values(f);
    for (int k = 0; k < dims; k++) {
      if (!Float.isFinite(values[k])) {
        return new Refusal(DeadLetterReason.NON_FINITE, "feature " + k + " is " + values[k]);
      }
    }
    return null;
  }

  /** The checks every record about an agent's round takes: experiment, key, round, agent. */
  private Refusal checkOrigin(
      String key, CharSequence experimentId, CharSequence agentId, int round, String what) {
    if (!experiment.id().contentEquals(experimentId)) {
      return new Refusal(
          DeadLetterReason.WRONG_EXPERIMENT,
          what
              + " of experiment '"
              + experimentId
              + "' on the topics of experiment '"
              + experiment.id()
              + "'");
    }
    if (!agentId.toString().equals(key)) {
      return new Refusal(
          DeadLetterReason.KEY_MISMATCH,
          "key '" + key + "' is not the agent id '" + agentId + "' of " + what);
    }
    int rounds = experiment.settings().rounds();
    if (round < 0 || round >= rounds) {
      return new Refusal(
          DeadLetterReason.ROUND_OUT_OF_RANGE,
          "round " + round + " is outside the experiment's rounds 0.." + (rounds - 1));
    }
    if (!agents.containsKey(agentId.toString())) {
      return new Refusal(
          DeadLetterReason.UNKNOWN_MEMBER,
          "agent '" + agentId + "' is not one of the experiment's " + agents.size() + " agents");
    }
    return null;
  }

  /**
   * Whether an update of agent {@code agentId} for {@code round} continues the agent's sequence,
   * its last counted update being for {@code lastRound} (-1: none yet): {@code round} is one of the
   * agent's rounds, and either its next one, or the agent catches up: a straggler policy closed the
   * agent's round before it without the agent (so the agent started from the group models of the
   * round before {@code round}, the newest it had, and skipped the rounds it missed).
   *
   * @param closedByPolicy whether a straggler policy closed a round (the aggregator's decisions on
   *     {@code aggregation-control})
   */
  public boolean followsOn(String agentId, int lastRound, int round, IntPredicate closedByPolicy) {
    Integer agent = agents.get(agentId);
    if (agent == null || round <= lastRound || !participation.takesPart(agent, round)) {
      return false;
    }
    int previous = participation.previousRound(agent, round);
    return previous == lastRound || (previous > lastRound && closedByPolicy.test(previous));
  }

  /**
   * A digest of an update's content, the time it was produced aside: two updates of an agent for a
   * round with the same digest are one update sent twice (it counts once); different digests are a
   * conflict.
   */
  public static byte[] digest(ModelUpdate u) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    ByteBuffer head = ByteBuffer.allocate(16);
    head.putInt(u.getRound())
        .putInt(u.getHierarchyVersion())
        .putInt(u.getTrainSamples())
        .putInt(u.getParameters().getDimension());
    md.update(head.array());
    md.update(u.getAgentId().getBytes(StandardCharsets.UTF_8));
    md.update(u.getParameters().getValues().duplicate());
    md.update(String.valueOf(u.getEvaluation()).getBytes(StandardCharsets.UTF_8));
    // where the removed field trainLoss (always null) was hashed: digests stay those an aggregator
    // of
    // an earlier version stored for an experiment it may resume
    md.update("null".getBytes(StandardCharsets.UTF_8));
    return md.digest();
  }
}
