package io.demlearn.pipeline.checks;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.LinkageRow;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What makes a decoded hierarchy version usable, one rule set for every service that reads them
 * (the aggregator refuses the others onto {@code dead-letters}; the others skip them): the
 * experiment's id and agents in the experiment's order, an effective round within the experiment,
 * at most the experiment's levels, a linkage matrix whose rows each merge two existing clusters not
 * merged before into one of their joint size, and groups that follow from it. Among usable
 * versions, the first one read for an effective round counts ({@link #conflicts}): the clusterer,
 * restarted, writes the same version again, which is fine.
 */
public final class HierarchyChecks {
  /** A usable version, or why the record is not one. */
  public record Checked(HierarchyVersion version, UpdateChecks.Refusal refusal) {}

  private HierarchyChecks() {}

  public static Checked check(Experiment experiment, HierarchyAssignment h) {
    if (!experiment.id().equals(h.getExperimentId())) {
      return refused(
          DeadLetterReason.WRONG_EXPERIMENT,
          "hierarchy version "
              + h.getVersion()
              + " of experiment '"
              + h.getExperimentId()
              + "' on the topics of experiment '"
              + experiment.id()
              + "'");
    }
    if (!h.getAgentIds().equals(experiment.agentIds())) {
      return refused(
          DeadLetterReason.UNKNOWN_MEMBER,
          "hierarchy version "
              + h.getVersion()
              + " names "
              + h.getAgentIds().size()
              + " agents that are not the experiment's "
              + experiment.agentIds().size()
              + " agents in their order");
    }
    int rounds = experiment.settings().rounds();
    if (h.getEffectiveFromRound() < 0 || h.getEffectiveFromRound() > rounds) {
      return refused(
          DeadLetterReason.ROUND_OUT_OF_RANGE,
          "hierarchy version "
              + h.getVersion()
              + " takes effect in round "
              + h.getEffectiveFromRound()
              + ", outside 0.."
              + rounds
              + " (the experiment's rounds and the one after)");
    }
    if (h.getVersion() < 0 || h.getLevels() < 0 || h.getLevels() > experiment.settings().levels()) {
      return refused(
          DeadLetterReason.INVALID_HIERARCHY,
          "hierarchy version "
              + h.getVersion()
              + " with "
              + h.getLevels()
              + " levels (the experiment has "
              + experiment.settings().levels()
              + ")");
    }
    int n = h.getAgentIds().size();
    List<LinkageRow> linkage = h.getLinkage();
    // each row merges two clusters that exist and are not merged yet, into one of their joint size
    int[] size = new int[n + linkage.size()];
    Arrays.fill(size, 0, n, 1);
    boolean[] merged = new boolean[n + linkage.size()];
    for (int i = 0; i < linkage.size(); i++) {
      LinkageRow row = linkage.get(i);
      int left = row.getLeft();
      int right = row.getRight();
      int existing = n + i; // clusters 0..n+i-1 exist before row i
      if (left < 0
          || right < 0
          || left >= existing
          || right >= existing
          || left == right
          || merged[left]
          || merged[right]
          || !(row.getDistance() >= 0)
          || row.getSize() != size[left] + size[right]) {
        return refused(
            DeadLetterReason.INVALID_HIERARCHY,
            "hierarchy version "
                + h.getVersion()
                + ": linkage row "
                + i
                + " ["
                + left
                + ", "
                + right
                + ", "
                + row.getDistance()
                + ", "
                + row.getSize()
                + "] does not merge two existing, unmerged clusters into one of their joint size");
      }
      merged[left] = true;
      merged[right] = true;
      size[existing] = row.getSize();
    }
    try {
      return new Checked(Hierarchies.fromRecord(h), null);
    } catch (RuntimeException e) {
      return refused(
          DeadLetterReason.INVALID_HIERARCHY,
          "hierarchy version " + h.getVersion() + ": " + e.getMessage());
    }
  }

  /**
   * Whether a version read for an effective round differs from the one already known for it (null:
   * none known). The first one counts.
   */
  public static boolean conflicts(HierarchyVersion known, HierarchyVersion incoming) {
    return known != null
        && (known.version() != incoming.version()
            || !Objects.equals(known.dendrogram(), incoming.dendrogram())
            || !known.tree().topDown().equals(incoming.tree().topDown()));
  }

  /**
   * For readers that skip what the aggregator refuses: the version a record describes if it is
   * usable and does not conflict with the one known for its effective round, else null.
   *
   * @param known the versions read so far, by effective round
   */
  public static HierarchyVersion usable(
      Experiment experiment, HierarchyAssignment h, Map<Integer, HierarchyVersion> known) {
    HierarchyVersion hv = h == null ? null : check(experiment, h).version();
    return hv == null || conflicts(known.get(hv.effectiveFromRound()), hv) ? null : hv;
  }

  private static Checked refused(DeadLetterReason reason, String detail) {
    return new Checked(null, new UpdateChecks.Refusal(reason, detail));
  }
}
