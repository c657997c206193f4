package io.demlearn.audit;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Re-aggregates an experiment's recorded updates under its recorded hierarchies and checks that
 * every recorded group model follows from them bit for bit, with no Kafka in it: fed the records of
 * the experiment's topics with where they are ({@link #groupModel}, {@link #hierarchy}, {@link
 * #update}, {@link #deadLetter}), it names the first record that does not follow ({@link #check}).
 * {@link LogAudit} feeds it from a Kafka cluster.
 *
 * <p>The updates that count are chosen as every service chooses them: per agent, in log order, the
 * first update per round that passes {@link UpdateChecks} and continues the agent's rounds (or
 * catches up after a round the straggler policy closed without it, {@link #closedRound}). A group
 * model names the agents it averaged; the audit recomputes the round from exactly those agents'
 * counted updates and compares every field but the time it was produced. An update that counted but
 * is in no group model of its round must have a {@code LATE} dead letter (a straggler policy closed
 * the round without it), unless it comes after every update the aggregator averaged (it had not
 * processed it yet); a round must average every agent, or a quorum under a straggler policy.
 *
 * <p>When the experiment clusters a random projection of the models, the clusterer used the
 * clustering features the agents' workers published, not the updates: each counted update of a
 * checked round must then have its features (counted by the same rules), and they must be the
 * projection of its parameters, bit for bit. (Logs written before that topic existed have no
 * features to check.)
 *
 * <p>Records are kept without their parameters (a digest of a group model's), so that memory does
 * not grow with the rounds; a round's updates are read again when it is checked.
 */
public final class Audit {
  /**
   * Records of one partition of a topic read again by offset: parameters are not kept in memory.
   */
  public interface Refetch<T> extends BiFunction<Integer, NavigableSet<Long>, Map<Long, T>> {}

  private final Experiment experiment;
  private final UpdateChecks checks;
  private final Map<Integer, Located<HierarchyAssignment>> hierarchyByVersion = new HashMap<>();
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final Map<String, Integer> lastRound = new HashMap<>();

  /** Counted updates by round, then agent. */
  private final Map<Integer, Map<String, Located<ModelUpdate>>> counted = new HashMap<>();

  /** Counted clustering features by round, then agent: a digest of their values. */
  private final Map<Integer, Map<String, Located<byte[]>>> countedFeatures = new HashMap<>();

  private final Map<String, Integer> lastFeaturesRound = new HashMap<>();

  /** Whether the log has features to check ({@link #featuresRecorded}). */
  private boolean checksFeatures;

  private final Set<String> lateDeadLetters = new HashSet<>();
  private final Set<Integer> closedByPolicy = new HashSet<>();
  private final TreeMap<Integer, List<Located<GroupModel>>> groupModels = new TreeMap<>();
  private Finding unreadable;
  private int updatesRead;
  private int updatesCounted;
  private int deadLetters;
  private int groupModelsRead;
  private int lateUpdates;
  private int unprocessed;
  private int partialRound = -1;

  /**
   * Per partition of model-updates, how far the aggregator had processed it: the highest offset of
   * an update some group model averaged or of a record it wrote a dead letter for.
   */
  private final Map<Integer, Long> aggregatedUpTo = new HashMap<>();

  private final String updatesTopic;
  private final Refetch<ModelUpdate> updatesAt;
  private final GroupModelComparison comparison;
  private SignatureCheck signatures;
  private int signaturesVerified;
  private int signaturesRefused;

  /**
   * @param updatesAt reads updates of {@code model-updates} again by partition and offset
   * @param groupModelsAt reads group models of {@code group-models} again by partition and offset
   */
  public Audit(
      Experiment experiment, Refetch<ModelUpdate> updatesAt, Refetch<GroupModel> groupModelsAt) {
    this.experiment = experiment;
    this.checks = new UpdateChecks(experiment);
    this.updatesTopic = ExperimentTopics.of(experiment.id()).modelUpdates().name();
    this.updatesAt = updatesAt;
    this.comparison = new GroupModelComparison(groupModelsAt);
  }

  /**
   * A signed experiment's signature check: a record its owner's key did not sign is skipped, as the
   * aggregator refuses it; every other one is verified. Fed before the records.
   */
  public void verifySignatures(SignatureCheck check) {
    this.signatures = check;
  }

  /** Whether a record of a signed experiment is signed by its owner (counting the verdicts). */
  private boolean signed(Supplier<UpdateChecks.Refusal> check) {
    if (signatures == null) {
      return true;
    }
    if (check.get() != null) {
      signaturesRefused++;
      return false;
    }
    signaturesVerified++;
    return true;
  }

  public void hierarchy(HierarchyAssignment h, ConsumerRecord<String, byte[]> r) {
    if (h != null && !signed(() -> signatures.check(h))) {
      return; // refused onto dead-letters by the aggregator, and skipped by every reader
    }
    HierarchyVersion hv = HierarchyChecks.usable(experiment, h, versions);
    if (hv == null) {
      return; // refused onto dead-letters by the aggregator, and skipped by every reader
    }
    hierarchyByVersion.putIfAbsent(hv.version(), Located.of(h, r));
    versions.putIfAbsent(hv.effectiveFromRound(), hv);
  }

  public void update(ModelUpdate u, ConsumerRecord<String, byte[]> r) {
    updatesRead++;
    if (u == null || checks.check(r.key(), u) != null || !signed(() -> signatures.check(u))) {
      return; // refused by the aggregator onto dead-letters
    }
    int last = lastRound.getOrDefault(u.getAgentId(), -1);
    if (!checks.followsOn(u.getAgentId(), last, u.getRound(), closedByPolicy::contains)) {
      return; // sent again, conflicting, or out of sequence: not counted
    }
    lastRound.put(u.getAgentId(), u.getRound());
    u.setParameters(null); // read again when its round is checked
    counted
        .computeIfAbsent(u.getRound(), k -> new HashMap<>())
        .put(u.getAgentId(), Located.of(u, r));
    updatesCounted++;
  }

  /**
   * The log has a {@code clustering-features} topic: if the experiment clusters a projection, its
   * updates' features are checked. Fed before the features.
   */
  public void featuresRecorded() {
    checksFeatures = experiment.clustersPublishedFeatures();
  }

  public void features(ClusteringFeatures f, ConsumerRecord<String, byte[]> r) {
    if (!checksFeatures
        || f == null
        || checks.check(r.key(), f) != null
        || !signed(() -> signatures.check(f))) {
      return; // skipped by the clusterer
    }
    int last = lastFeaturesRound.getOrDefault(f.getAgentId(), -1);
    if (!checks.followsOn(f.getAgentId(), last, f.getRound(), closedByPolicy::contains)) {
      return; // sent again (a worker that recovered sends its agents' latest again): not counted
    }
    lastFeaturesRound.put(f.getAgentId(), f.getRound());
    countedFeatures
        .computeIfAbsent(f.getRound(), k -> new HashMap<>())
        .put(f.getAgentId(), Located.of(digest(f.getValues()), r));
  }

  private static byte[] digest(ByteBuffer values) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(values.duplicate());
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * A round the straggler policy closed (the aggregator's decision): an agent left out of it may
   * catch up by skipping to the round after it. Fed before the updates.
   */
  public void closedRound(int round) {
    closedByPolicy.add(round);
  }

  public void deadLetter(DeadLetter d) {
    if (d == null) {
      return;
    }
    deadLetters++;
    if (d.getSourceTopic().equals(updatesTopic)) {
      // the aggregator wrote it: it had processed its partition up to there
      aggregatedUpTo.merge(d.getSourcePartition(), d.getSourceOffset(), Math::max);
    }
    if (d.getReason() == DeadLetterReason.LATE) {
      lateDeadLetters.add(
          d.getSourceTopic() + "/" + d.getSourcePartition() + "/" + d.getSourceOffset());
    }
  }

  public void groupModel(GroupModel g, ConsumerRecord<String, byte[]> r) {
    if (g == null) {
      noteUnreadable(
          new Finding(
              r.topic() + " partition " + r.partition() + " offset " + r.offset(),
              "not a readable group model"));
      return;
    }
    if (experiment.id().equals(g.getExperimentId())) {
      groupModelsRead++;
      Located<GroupModel> at = Located.of(g, r);
      comparison.remember(at);
      g.setParameters(null);
      groupModels.computeIfAbsent(g.getRound(), k -> new ArrayList<>()).add(at);
    } else {
      noteUnreadable(
          new Finding(
              Located.of(g, r).where(),
              "a group model of experiment '" + g.getExperimentId() + "'"));
    }
  }

  private void noteUnreadable(Finding f) {
    if (unreadable == null) {
      unreadable = f;
    }
  }

  /**
   * What was read and what the check found beyond the group models (late and unprocessed updates, a
   * newest round being committed).
   *
   * @param partialRound the newest round, left out because only part of it was committed when read
   *     (-1: none)
   * @param lastRound the newest round with group models (-1: none)
   */
  public record Summary(
      int hierarchyVersions,
      int updatesRead,
      int updatesCounted,
      int deadLetters,
      int groupModelsRead,
      int lateUpdates,
      int unprocessed,
      int partialRound,
      int lastRound,
      int signaturesVerified,
      int signaturesRefused) {}

  /** What was read so far, and what {@link #check()} found. */
  public Summary summary() {
    return new Summary(
        hierarchyByVersion.size(),
        updatesRead,
        updatesCounted,
        deadLetters,
        groupModelsRead,
        lateUpdates,
        unprocessed,
        partialRound,
        groupModels.isEmpty() ? -1 : groupModels.lastKey(),
        signaturesVerified,
        signaturesRefused);
  }

  /** Null if every group model follows; else the first that does not (rounds in order). */
  public Finding check() {
    if (unreadable != null) {
      return unreadable;
    }
    if (groupModels.isEmpty()) {
      return new Finding(experiment.id(), "no group models are recorded: nothing to audit");
    }
    // the aggregator reads each partition of model-updates in order: it has processed every update
    // below the last one it averaged, and written the dead letter of each it did not average
    groupModels.forEach(
        (round, recorded) ->
            recorded.forEach(
                g ->
                    g.value()
                        .getMemberIds()
                        .forEach(
                            m -> {
                              Located<ModelUpdate> u = counted.getOrDefault(round, Map.of()).get(m);
                              if (u != null) {
                                aggregatedUpTo.merge(u.partition(), u.offset(), Math::max);
                              }
                            })));
    int last = groupModels.lastKey();
    List<Located<GroupModel>> newest = groupModels.get(last);
    int groupsInNewest =
        newest.stream().mapToInt(g -> g.value().getGroupsInRound()).max().orElse(0);
    if (groupsInNewest == 0 || newest.size() < groupsInNewest) {
      // a round's group models are written group by group, the root's last (it says how many
      // there are): a read while the experiment runs can see part of the newest round
      groupModels.remove(last);
      partialRound = last;
      if (groupModels.isEmpty()) {
        return new Finding(
            experiment.id(),
            "only part of round " + last + "'s group models is committed yet: audit again");
      }
    }
    for (int round = 0; round <= groupModels.lastKey(); round++) {
      List<Located<GroupModel>> recorded = groupModels.get(round);
      if (recorded == null) {
        return new Finding(
            "round " + round,
            "has no group models although round " + groupModels.lastKey() + " has");
      }
      Finding f = checkRound(round, recorded);
      if (f != null) {
        return f;
      }
    }
    return null;
  }

  private Finding checkRound(int round, List<Located<GroupModel>> recorded) {
    Strategy strategy = experiment.settings().strategy();
    HierarchyVersion hv = strategy.versionFor(round, versions);
    Located<GroupModel> first = recorded.get(0);
    if (hv == null) {
      return new Finding(first.where(), "round " + round + " has no hierarchy version in force");
    }
    List<String> agentIds = hierarchyByVersion.get(hv.version()).value().getAgentIds();
    Set<String> present = new HashSet<>();
    Set<String> agents = new HashSet<>(agentIds);
    for (Located<GroupModel> g : recorded) {
      for (String m : g.value().getMemberIds()) {
        if (agents.contains(m)) {
          present.add(m);
        }
      }
    }
    int inRound = experiment.settings().participation().perRound();
    int needed = experiment.closesEarly() ? experiment.quorumOf(inRound) : inRound;
    if (present.size() < needed) {
      return new Finding(
          first.where(),
          String.format(
              Locale.ROOT,
              "round %d averaged %d of its %d agents, but the experiment's policy needs %d (%s)",
              round,
              present.size(),
              inRound,
              needed,
              experiment.closesEarly() ? "its quorum" : "it has no straggler policy"));
    }
    Map<String, Located<ModelUpdate>> ofRound = counted.getOrDefault(round, Map.of());
    List<ModelUpdate> updates = new ArrayList<>(agentIds.size());
    for (String agent : agentIds) {
      Located<ModelUpdate> u = ofRound.get(agent);
      if (present.contains(agent) && u == null) {
        Located<GroupModel> naming =
            recorded.stream()
                .filter(g -> g.value().getMemberIds().contains(agent))
                .findFirst()
                .orElseThrow();
        return new Finding(
            naming.where(),
            String.format(
                Locale.ROOT,
                "%s names agent %s as a member, but no update of %s for round %d counts",
                GroupModelComparison.describe(naming.value()),
                agent,
                agent,
                round));
      }
      if (!present.contains(agent) && u != null) {
        if (lateDeadLetters.contains(u.topic() + "/" + u.partition() + "/" + u.offset())) {
          lateUpdates++;
        } else if (u.offset() > aggregatedUpTo.getOrDefault(u.partition(), -1L)) {
          unprocessed++; // after everything the aggregator averaged: not processed (yet)
        } else {
          return new Finding(
              u.where(),
              String.format(
                  Locale.ROOT,
                  "the update of agent %s for round %d counts, but no group model of the round"
                      + " averaged it and no LATE dead letter says why",
                  agent,
                  round));
        }
      }
    }
    // the present agents' updates, read again with their parameters
    Map<Integer, TreeSet<Long>> offsets = new HashMap<>();
    present.forEach(
        agent ->
            offsets
                .computeIfAbsent(ofRound.get(agent).partition(), k -> new TreeSet<>())
                .add(ofRound.get(agent).offset()));
    Map<Integer, Map<Long, ModelUpdate>> full = new HashMap<>();
    offsets.forEach((partition, at) -> full.put(partition, updatesAt.apply(partition, at)));
    for (String agent : agentIds) {
      Located<ModelUpdate> u = present.contains(agent) ? ofRound.get(agent) : null;
      ModelUpdate update = u == null ? null : full.get(u.partition()).get(u.offset());
      if (u != null
          && (update == null || !agent.equals(update.getAgentId()) || update.getRound() != round)) {
        return new Finding(
            u.where(),
            "the update of agent " + agent + " for round " + round + " cannot be read again");
      }
      updates.add(update);
    }
    Finding f = checkFeatures(round, agentIds, updates, ofRound);
    return f != null ? f : comparison.round(experiment, round, hv, agentIds, updates, recorded);
  }

  /** The round's counted updates against their recorded clustering features. */
  private Finding checkFeatures(
      int round,
      List<String> agentIds,
      List<ModelUpdate> updates,
      Map<String, Located<ModelUpdate>> ofRound) {
    if (!checksFeatures) {
      return null;
    }
    List<Integer> at = new ArrayList<>();
    List<float[]> models = new ArrayList<>();
    for (int i = 0; i < agentIds.size(); i++) {
      if (updates.get(i) != null) {
        at.add(i);
        models.add(ParameterVectors.toFloats(updates.get(i).getParameters()));
      }
    }
    List<float[]> projected = experiment.settings().strategy().clusteringFeatures(models);
    Map<String, Located<byte[]>> recorded = countedFeatures.getOrDefault(round, Map.of());
    for (int k = 0; k < at.size(); k++) {
      String agent = agentIds.get(at.get(k));
      Located<byte[]> features = recorded.get(agent);
      if (features == null) {
        return new Finding(
            ofRound.get(agent).where(),
            String.format(
                Locale.ROOT,
                "the update of agent %s for round %d counts, but no clustering features of it"
                    + " count (the clusterer reads those)",
                agent,
                round));
      }
      if (!MessageDigest.isEqual(
          digest(ParameterVectors.bytes(projected.get(k))), features.value())) {
        return new Finding(
            features.where(),
            String.format(
                Locale.ROOT,
                "the clustering features of agent %s for round %d are not the projection of its"
                    + " update at %s",
                agent,
                round,
                ofRound.get(agent).where()));
      }
    }
    return null;
  }
}
