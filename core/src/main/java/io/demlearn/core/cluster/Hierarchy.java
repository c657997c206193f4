package io.demlearn.core.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tree of groups over agents 0..n-1: the root at level K+1, groups down to level 1; every agent
 * hangs under exactly one group. Built from a dendrogram as the authors' code builds it
 * (docs/ALGORITHM.md): the root's children are the two clusters of the last merge, each node at
 * level L > 1 has the two clusters of its merge as children at level L-1, a level-1 node holds
 * every agent below its cluster, and a cluster that is a single agent hangs directly under the node
 * above it, whatever that node's level. Immutable.
 */
public final class Hierarchy {
  /** The id of the root group. */
  public static final String ROOT = "root";

  /**
   * One group.
   *
   * @param agents agents hanging directly under this group, ascending
   * @param childGroups ids of sub-groups, in tree order
   * @param members every agent below this group, ascending
   */
  public record Group(
      String id,
      int level,
      String parentId,
      List<Integer> agents,
      List<String> childGroups,
      List<Integer> members) {
    public int agentCount() {
      return members.size();
    }

    public boolean isRoot() {
      return parentId == null;
    }
  }

  private final int agents;
  private final int topLevel;
  private final Map<String, Group> groups;
  private final String[] parentOfAgent;
  private final List<Group> topDown;

  private Hierarchy(int agents, int topLevel, Map<String, Group> groups) {
    this.agents = agents;
    this.topLevel = topLevel;
    this.groups = Collections.unmodifiableMap(groups);
    this.parentOfAgent = new String[agents];
    for (Group g : groups.values()) {
      for (int a : g.agents()) {
        if (parentOfAgent[a] != null) {
          throw new IllegalStateException("agent " + a + " hangs under two groups");
        }
        parentOfAgent[a] = g.id();
      }
    }
    for (int a = 0; a < agents; a++) {
      if (parentOfAgent[a] == null) {
        throw new IllegalStateException("agent " + a + " hangs under no group");
      }
    }
    List<Group> order = new ArrayList<>();
    preOrder(groups.get(ROOT), order);
    this.topDown = List.copyOf(order);
  }

  private void preOrder(Group g, List<Group> out) {
    out.add(g);
    for (String c : g.childGroups()) {
      preOrder(groups.get(c), out);
    }
  }

  /** One level: the root holds every agent (FedAvg, and DemLearn before its first clustering). */
  public static Hierarchy flat(int agents) {
    List<Integer> all = range(0, agents);
    Map<String, Group> groups = new LinkedHashMap<>();
    groups.put(ROOT, new Group(ROOT, 1, null, all, List.of(), all));
    return new Hierarchy(agents, 1, groups);
  }

  /** The tree with {@code levels} group levels below the root, cut from {@code dendrogram}. */
  public static Hierarchy fromDendrogram(Dendrogram dendrogram, int levels) {
    if (levels < 1) {
      throw new IllegalArgumentException("levels must be >= 1, got " + levels);
    }
    int n = dendrogram.leaves();
    Map<String, Group> groups = new LinkedHashMap<>();
    if (n == 1) {
      groups.put(ROOT, new Group(ROOT, levels + 1, null, List.of(0), List.of(), List.of(0)));
      return new Hierarchy(1, levels + 1, groups);
    }
    new Builder(dendrogram, groups).node(ROOT, levels + 1, null, n + n - 2);
    return new Hierarchy(n, levels + 1, groups);
  }

  private static final class Builder {
    private final Dendrogram d;
    private final int n;
    private final Map<String, Group> groups;

    Builder(Dendrogram d, Map<String, Group> groups) {
      this.d = d;
      this.n = d.leaves();
      this.groups = groups;
    }

    /** Creates the group for {@code cluster} at {@code level}; returns its members. */
    List<Integer> node(String id, int level, String parent, int cluster) {
      List<Integer> direct = new ArrayList<>();
      List<String> children = new ArrayList<>();
      List<Integer> members = new ArrayList<>();
      if (level == 1) {
        members.addAll(d.leavesBelow(cluster));
        direct.addAll(members);
      } else {
        Dendrogram.Merge m = d.merges().get(cluster - n);
        for (int child : new int[] {m.left(), m.right()}) {
          if (child < n) {
            direct.add(child);
            members.add(child);
          } else {
            String childId = "L" + (level - 1) + "-c" + child;
            children.add(childId);
            members.addAll(node(childId, level - 1, id, child));
          }
        }
      }
      Collections.sort(direct);
      Collections.sort(members);
      groups.put(
          id,
          new Group(
              id, level, parent, List.copyOf(direct), List.copyOf(children), List.copyOf(members)));
      return members;
    }
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(i);
    }
    return List.copyOf(out);
  }

  public int agents() {
    return agents;
  }

  /** Level of the root (K+1). */
  public int topLevel() {
    return topLevel;
  }

  public Group group(String id) {
    Group g = groups.get(id);
    if (g == null) {
      throw new IllegalArgumentException("no group " + id);
    }
    return g;
  }

  public Group root() {
    return groups.get(ROOT);
  }

  /** Every group, parents before children (pre-order from the root). */
  public List<Group> topDown() {
    return topDown;
  }

  /** Every group, children before parents. */
  public List<Group> bottomUp() {
    List<Group> out = new ArrayList<>(topDown);
    Collections.reverse(out);
    return out;
  }

  /** The group agent {@code a} hangs under. */
  public String parentOf(int agent) {
    return parentOfAgent[agent];
  }

  /** Groups at one level, in tree order. */
  public List<Group> atLevel(int level) {
    return topDown.stream().filter(g -> g.level() == level).toList();
  }
}
