package io.demlearn.pipeline.records;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.schemas.avro.ClusteringSettings;
import io.demlearn.schemas.avro.GroupNode;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.LinkageRow;
import java.util.ArrayList;
import java.util.List;

/**
 * A hierarchy version as the {@code hierarchy-assignments} topic carries it: the linkage matrix it
 * was cut from and the settings that made it (from which it is rebuilt exactly), and its groups
 * spelled out for readers in other languages.
 */
public final class Hierarchies {
  private Hierarchies() {}

  public static HierarchyAssignment toRecord(
      String experimentId,
      HierarchyVersion hv,
      List<String> agentIds,
      ExperimentSettings settings,
      long createdAtMs) {
    List<LinkageRow> linkage = new ArrayList<>();
    if (hv.dendrogram() != null) {
      for (Dendrogram.Merge m : hv.dendrogram().merges()) {
        linkage.add(
            LinkageRow.newBuilder()
                .setLeft(m.left())
                .setRight(m.right())
                .setDistance(m.distance())
                .setSize(m.size())
                .build());
      }
    }
    List<GroupNode> groups = new ArrayList<>();
    for (Hierarchy.Group g : hv.tree().topDown()) {
      List<String> agents = new ArrayList<>();
      g.agents().forEach(a -> agents.add(agentIds.get(a)));
      groups.add(
          GroupNode.newBuilder()
              .setGroupId(g.id())
              .setLevel(g.level())
              .setParentId(g.parentId())
              .setChildGroupIds(g.childGroups())
              .setAgentIds(agents)
              .build());
    }
    return HierarchyAssignment.newBuilder()
        .setExperimentId(experimentId)
        .setVersion(hv.version())
        .setEffectiveFromRound(hv.effectiveFromRound())
        .setClusteredAtRound(hv.dendrogram() == null ? -1 : hv.effectiveFromRound())
        .setLevels(hv.tree().topLevel() - 1)
        .setAgentIds(agentIds)
        .setLinkage(linkage)
        .setGroups(groups)
        .setSettings(
            ClusteringSettings.newBuilder()
                .setDistanceMetric(settings.metric().label())
                .setLinkage(settings.linkage().label())
                .setLevels(settings.levels())
                .setReclusterEvery(settings.reclusterEvery())
                .setFeatures(settings.clustering().features())
                .build())
        .setCreatedAtMs(createdAtMs)
        .build();
  }

  /**
   * The hierarchy a record describes, rebuilt from its linkage matrix (or flat when it has none).
   *
   * @throws IllegalArgumentException if the record's groups do not match its linkage matrix
   */
  public static HierarchyVersion fromRecord(HierarchyAssignment a) {
    int n = a.getAgentIds().size();
    Dendrogram dendrogram = null;
    Hierarchy tree;
    if (a.getLinkage().isEmpty() && n > 1 || a.getLevels() == 0) {
      tree = Hierarchy.flat(n);
    } else {
      List<Dendrogram.Merge> merges = new ArrayList<>();
      for (LinkageRow r : a.getLinkage()) {
        merges.add(new Dendrogram.Merge(r.getLeft(), r.getRight(), r.getDistance(), r.getSize()));
      }
      dendrogram = new Dendrogram(n, merges);
      tree = Hierarchy.fromDendrogram(dendrogram, a.getLevels());
    }
    List<String> recorded = a.getGroups().stream().map(GroupNode::getGroupId).toList();
    List<String> rebuilt = tree.topDown().stream().map(Hierarchy.Group::id).toList();
    if (!recorded.equals(rebuilt)) {
      throw new IllegalArgumentException(
          "hierarchy version "
              + a.getVersion()
              + ": its groups "
              + recorded
              + " do not follow from its linkage matrix ("
              + rebuilt
              + ")");
    }
    return new HierarchyVersion(tree, dendrogram, a.getVersion(), a.getEffectiveFromRound());
  }
}
