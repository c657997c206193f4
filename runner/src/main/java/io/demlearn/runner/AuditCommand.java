package io.demlearn.runner;

import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.core.sim.Strategy;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.checks.HierarchyChecks;
import io.demlearn.schemas.checks.UpdateChecks;
import io.demlearn.schemas.convert.Experiment;
import io.demlearn.schemas.convert.GroupModels;
import io.demlearn.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.function.BiFunction;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn audit}: re-aggregates an experiment's recorded updates under its recorded
 * hierarchies and checks that every recorded group model follows from them bit for bit.
 *
 * <p>The updates that count are chosen as every service chooses them: per agent, in log order, the
 * first update per round that passes {@link UpdateChecks} and continues the agent's rounds. A group
 * model names the agents it averaged; the audit recomputes the round from exactly those agents'
 * counted updates and compares every field but the time it was produced. An update that counted
 * but is in no group model of its round must have a {@code LATE} dead letter (a straggler policy
 * closed the round without it), unless it comes after every update the aggregator averaged (it
 * had not processed it yet); a round must average every agent, or a quorum under a straggler
 * policy. Exit code 0: all follows; 1: the first record that does not is
 * named, with why.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Check that an experiment's recorded group models follow bit for bit from its recorded updates.")
final class AuditCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(names = "--experiment", required = true, paramLabel = "ID", description = "The experiment to audit.")
  String experimentId;

  @Option(names = "--read-timeout", defaultValue = "60", paramLabel = "SECONDS",
      description = "Give up when a topic yields nothing for this long (default: ${DEFAULT-VALUE}).")
  int readTimeoutSeconds;

  /** A record and where it is in the log. */
  record Located<T>(T value, String topic, int partition, long offset) {
    String where() {
      return topic + " partition " + partition + " offset " + offset;
    }

    static <T> Located<T> of(T value, ConsumerRecord<?, ?> r) {
      return new Located<>(value, r.topic(), r.partition(), r.offset());
    }
  }

  /** The first record that does not follow, and why. */
  record Finding(String where, String problem) {}

  @Override
  public Integer call() {
    Console console = new Console(System.out);
    try (Connection conn = Connection.openExisting(connection, console, "audit");
        AvroSerdes serdes = new AvroSerdes(conn.registryConfig());
        ExperimentLog log = new ExperimentLog(conn.kafkaConfig(), experimentId, Duration.ofSeconds(readTimeoutSeconds))) {
      Experiment experiment = log.experiment(serdes);
      console.line("auditing experiment " + experimentId + ": " + experiment.settings().algorithm().label() + ", "
          + experiment.agentIds().size() + " agents, " + experiment.settings().rounds() + " rounds");
      var updates = log.topics().modelUpdates().valueSerde(serdes).deserializer();
      var groups = log.topics().groupModels().valueSerde(serdes).deserializer();
      Audit audit = new Audit(experiment,
          (partition, offsets) -> fetch(log, log.topics().modelUpdates().name(), partition, offsets, updates::deserializeOrNull),
          (partition, offsets) -> fetch(log, log.topics().groupModels().name(), partition, offsets, groups::deserializeOrNull));
      // group models first: everything a committed group model follows from (its hierarchy, its
      // updates, the dead letters written before it) was committed before it, so it is in the
      // topics read after it, even while the experiment runs
      log.read(log.topics().groupModels(), r -> audit.groupModel(groups.deserializeOrNull(r), r));
      var hierarchies = log.topics().hierarchyAssignments().valueSerde(serdes).deserializer();
      log.read(log.topics().hierarchyAssignments(), r -> audit.hierarchy(hierarchies.deserializeOrNull(r), r));
      log.read(log.topics().modelUpdates(), r -> audit.update(updates.deserializeOrNull(r), r));
      var deadLetters = log.topics().deadLetters().valueSerde(serdes).deserializer();
      log.read(log.topics().deadLetters(), r -> audit.deadLetter(deadLetters.deserializeOrNull(r)));
      console.step("read " + audit.hierarchyVersions() + " hierarchy versions, " + audit.updatesRead() + " updates ("
          + audit.updatesCounted() + " counted), " + audit.deadLetters() + " dead letters, " + audit.groupModelsRead()
          + " group models");
      Finding finding = audit.check();
      if (finding != null) {
        System.err.println("audit failed: " + finding.where() + ": " + finding.problem());
        return 1;
      }
      console.line("audit passed: the " + audit.groupModelsRead() + " group models of rounds 0.." + audit.lastRound()
          + " follow bit for bit from the recorded updates under the recorded hierarchies"
          + (audit.lateUpdates() > 0 ? "; " + audit.lateUpdates() + " late updates were recorded and not averaged" : "")
          + (audit.unprocessed() > 0 ? "; " + audit.unprocessed() + " updates of closed rounds came after the aggregator's"
              + " last processed one (the experiment runs, or stopped before them)" : "")
          + (audit.partialRound() >= 0 ? "; round " + audit.partialRound() + " was being committed: left out" : ""));
      return 0;
    }
  }

  private static <T> Map<Long, T> fetch(ExperimentLog log, String topic, int partition, NavigableSet<Long> offsets,
      java.util.function.Function<ConsumerRecord<String, byte[]>, T> decode) {
    Map<Long, T> out = new HashMap<>();
    log.readAt(topic, partition, offsets, r -> {
      T value = decode.apply(r);
      if (value != null) {
        out.put(r.offset(), value);
      }
    });
    return out;
  }

  /** Records of one partition of a topic read again by offset: parameters are not kept in memory. */
  interface Refetch<T> extends BiFunction<Integer, NavigableSet<Long>, Map<Long, T>> {}

  /**
   * The audit's state: what was read, and the check. Records are kept without their parameters
   * (a digest of a group model's), so that memory does not grow with the rounds; a round's updates
   * are read again when it is checked.
   */
  static final class Audit {
    private final Experiment experiment;
    private final UpdateChecks checks;
    private final Map<Integer, Located<HierarchyAssignment>> hierarchyByVersion = new HashMap<>();
    private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
    private final Map<String, Integer> lastRound = new HashMap<>();
    /** Counted updates by round, then agent. */
    private final Map<Integer, Map<String, Located<ModelUpdate>>> counted = new HashMap<>();
    private final Set<String> lateDeadLetters = new HashSet<>();
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
    private final Refetch<GroupModel> groupModelsAt;
    private final Map<String, byte[]> parameterDigests = new HashMap<>();

    Audit(Experiment experiment, Refetch<ModelUpdate> updatesAt, Refetch<GroupModel> groupModelsAt) {
      this.experiment = experiment;
      this.checks = new UpdateChecks(experiment);
      this.updatesTopic = io.demlearn.schemas.topics.ExperimentTopics.of(experiment.id()).modelUpdates().name();
      this.updatesAt = updatesAt;
      this.groupModelsAt = groupModelsAt;
    }

    void hierarchy(HierarchyAssignment h, ConsumerRecord<String, byte[]> r) {
      HierarchyVersion hv = HierarchyChecks.usable(experiment, h, versions);
      if (hv == null) {
        return; // refused onto dead-letters by the aggregator, and skipped by every reader
      }
      hierarchyByVersion.putIfAbsent(hv.version(), Located.of(h, r));
      versions.putIfAbsent(hv.effectiveFromRound(), hv);
    }

    void update(ModelUpdate u, ConsumerRecord<String, byte[]> r) {
      updatesRead++;
      if (u == null || checks.check(r.key(), u) != null) {
        return; // refused by the aggregator onto dead-letters
      }
      int last = lastRound.getOrDefault(u.getAgentId(), -1);
      if (!UpdateChecks.followsOn(last, u.getRound())) {
        return; // sent again, conflicting, or out of sequence: not counted
      }
      lastRound.put(u.getAgentId(), u.getRound());
      u.setParameters(null); // read again when its round is checked
      counted.computeIfAbsent(u.getRound(), k -> new HashMap<>()).put(u.getAgentId(), Located.of(u, r));
      updatesCounted++;
    }

    void deadLetter(DeadLetter d) {
      if (d == null) {
        return;
      }
      deadLetters++;
      if (d.getSourceTopic().equals(updatesTopic)) {
        // the aggregator wrote it: it had processed its partition up to there
        aggregatedUpTo.merge(d.getSourcePartition(), d.getSourceOffset(), Math::max);
      }
      if (d.getReason() == DeadLetterReason.LATE) {
        lateDeadLetters.add(d.getSourceTopic() + "/" + d.getSourcePartition() + "/" + d.getSourceOffset());
      }
    }

    void groupModel(GroupModel g, ConsumerRecord<String, byte[]> r) {
      if (g == null) {
        noteUnreadable(new Finding(r.topic() + " partition " + r.partition() + " offset " + r.offset(),
            "not a readable group model"));
        return;
      }
      if (experiment.id().equals(g.getExperimentId())) {
        groupModelsRead++;
        Located<GroupModel> at = Located.of(g, r);
        parameterDigests.put(at.where(), digest(g.getParameters()));
        g.setParameters(null);
        groupModels.computeIfAbsent(g.getRound(), k -> new ArrayList<>()).add(at);
      } else {
        noteUnreadable(new Finding(Located.of(g, r).where(), "a group model of experiment '" + g.getExperimentId() + "'"));
      }
    }

    private void noteUnreadable(Finding f) {
      if (unreadable == null) {
        unreadable = f;
      }
    }

    int hierarchyVersions() {
      return hierarchyByVersion.size();
    }

    int updatesRead() {
      return updatesRead;
    }

    int updatesCounted() {
      return updatesCounted;
    }

    int deadLetters() {
      return deadLetters;
    }

    int groupModelsRead() {
      return groupModelsRead;
    }

    int lateUpdates() {
      return lateUpdates;
    }

    int unprocessed() {
      return unprocessed;
    }

    /** The newest round, left out because only part of it was committed when read; -1 if none. */
    int partialRound() {
      return partialRound;
    }

    int lastRound() {
      return groupModels.isEmpty() ? -1 : groupModels.lastKey();
    }

    /** Null if every group model follows; else the first that does not (rounds in order). */
    Finding check() {
      if (unreadable != null) {
        return unreadable;
      }
      if (groupModels.isEmpty()) {
        return new Finding(experiment.id(), "no group models are recorded: nothing to audit");
      }
      // the aggregator reads each partition of model-updates in order: it has processed every update
      // below the last one it averaged, and written the dead letter of each it did not average
      groupModels.forEach((round, recorded) -> recorded.forEach(g -> g.value().getMemberIds().forEach(m -> {
        Located<ModelUpdate> u = counted.getOrDefault(round, Map.of()).get(m);
        if (u != null) {
          aggregatedUpTo.merge(u.partition(), u.offset(), Math::max);
        }
      })));
      int last = groupModels.lastKey();
      List<Located<GroupModel>> newest = groupModels.get(last);
      if (newest.size() < newest.get(0).value().getGroupsInRound()) {
        // a round's group models commit together, but their commit markers reach the partitions one
        // by one: a read while the experiment runs can see part of the newest round
        groupModels.remove(last);
        partialRound = last;
        if (groupModels.isEmpty()) {
          return new Finding(experiment.id(), "only part of round " + last + "'s group models is committed yet: audit again");
        }
      }
      for (int round = 0; round <= groupModels.lastKey(); round++) {
        List<Located<GroupModel>> recorded = groupModels.get(round);
        if (recorded == null) {
          return new Finding("round " + round, "has no group models although round " + groupModels.lastKey() + " has");
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
      int needed = experiment.closesEarly() ? experiment.quorumOf(agentIds.size()) : agentIds.size();
      if (present.size() < needed) {
        return new Finding(first.where(), "round " + round + " averaged " + present.size() + " of " + agentIds.size()
            + " agents, but the experiment's policy needs " + needed
            + (experiment.closesEarly() ? " (its quorum)" : " (it has no straggler policy)"));
      }
      Map<String, Located<ModelUpdate>> ofRound = counted.getOrDefault(round, Map.of());
      List<ModelUpdate> updates = new ArrayList<>(agentIds.size());
      for (String agent : agentIds) {
        Located<ModelUpdate> u = ofRound.get(agent);
        if (present.contains(agent) && u == null) {
          Located<GroupModel> naming = recorded.stream().filter(g -> g.value().getMemberIds().contains(agent)).findFirst()
              .orElseThrow();
          return new Finding(naming.where(), describe(naming.value()) + " names agent " + agent
              + " as a member, but no update of " + agent + " for round " + round + " counts");
        }
        if (!present.contains(agent) && u != null) {
          if (lateDeadLetters.contains(u.topic() + "/" + u.partition() + "/" + u.offset())) {
            lateUpdates++;
          } else if (u.offset() > aggregatedUpTo.getOrDefault(u.partition(), -1L)) {
            unprocessed++; // after everything the aggregator averaged: not processed (yet)
          } else {
            return new Finding(u.where(), "the update of agent " + agent + " for round " + round
                + " counts, but no group model of the round averaged it and no LATE dead letter says why");
          }
        }
      }
      // the present agents' updates, read again with their parameters
      Map<Integer, java.util.TreeSet<Long>> offsets = new HashMap<>();
      present.forEach(agent -> offsets.computeIfAbsent(ofRound.get(agent).partition(), k -> new java.util.TreeSet<>())
          .add(ofRound.get(agent).offset()));
      Map<Integer, Map<Long, ModelUpdate>> full = new HashMap<>();
      offsets.forEach((partition, at) -> full.put(partition, updatesAt.apply(partition, at)));
      for (String agent : agentIds) {
        Located<ModelUpdate> u = present.contains(agent) ? ofRound.get(agent) : null;
        ModelUpdate update = u == null ? null : full.get(u.partition()).get(u.offset());
        if (u != null && (update == null || !agent.equals(update.getAgentId()) || update.getRound() != round)) {
          return new Finding(u.where(), "the update of agent " + agent + " for round " + round + " cannot be read again");
        }
        updates.add(update);
      }
      Map<String, GroupModel> expected = new HashMap<>();
      for (GroupModel g : GroupModels.of(experiment, round, hv, agentIds, updates, 0L)) {
        expected.put(g.getGroupId(), g);
      }
      Set<String> seen = new HashSet<>();
      for (Located<GroupModel> got : recorded) {
        GroupModel g = got.value();
        GroupModel want = expected.get(g.getGroupId());
        String problem = want == null
            ? "group " + g.getGroupId() + " has no members present in round " + round + " under hierarchy version "
                + hv.version()
            : difference(got, want);
        if (problem != null) {
          return new Finding(got.where(), describe(g) + ": " + problem);
        }
        seen.add(g.getGroupId());
      }
      for (String group : expected.keySet()) {
        if (!seen.contains(group)) {
          return new Finding("round " + round, "group " + group + " has no group model although its members reported");
        }
      }
      return null;
    }

    private static String describe(GroupModel g) {
      return "group model of round " + g.getRound() + ", group " + g.getGroupId();
    }

    /** The first field in which a recorded group model differs from the recomputed one, or null. */
    private String difference(Located<GroupModel> at, GroupModel want) {
      GroupModel got = at.value();
      if (got.getHierarchyVersion() != want.getHierarchyVersion()) {
        return "hierarchy version " + got.getHierarchyVersion() + ", but round " + got.getRound() + " is under version "
            + want.getHierarchyVersion();
      }
      if (!got.getMemberIds().equals(want.getMemberIds())) {
        return "members " + got.getMemberIds() + ", recomputed " + want.getMemberIds();
      }
      if (got.getLevel() != want.getLevel() || got.getExpectedMembers() != want.getExpectedMembers()
          || got.getAgentCount() != want.getAgentCount() || got.getSampleCount() != want.getSampleCount()
          || got.getGroupsInRound() != want.getGroupsInRound()
          || Double.compare(got.getAmplify(), want.getAmplify()) != 0) {
        return String.format(java.util.Locale.ROOT,
            "level/expected members/agents/samples/groups in round/amplify %d/%d/%d/%d/%d/%s, recomputed %d/%d/%d/%d/%d/%s",
            got.getLevel(), got.getExpectedMembers(), got.getAgentCount(), got.getSampleCount(), got.getGroupsInRound(),
            got.getAmplify(), want.getLevel(), want.getExpectedMembers(), want.getAgentCount(), want.getSampleCount(),
            want.getGroupsInRound(), want.getAmplify());
      }
      if (!Objects.equals(got.getMemberEvaluations(), want.getMemberEvaluations())) {
        return "its members' evaluations differ from those their updates carry";
      }
      if (java.util.Arrays.equals(parameterDigests.get(at.where()), digest(want.getParameters()))) {
        return null;
      }
      GroupModel recorded = groupModelsAt.apply(at.partition(), new java.util.TreeSet<>(List.of(at.offset())))
          .get(at.offset());
      if (recorded == null) {
        return "its parameters differ from the recomputed ones, and it cannot be read again to say where";
      }
      float[] a = ParameterVectors.toFloats(recorded.getParameters());
      float[] b = ParameterVectors.toFloats(want.getParameters());
      if (a.length != b.length) {
        return a.length + " parameters, recomputed " + b.length;
      }
      for (int k = 0; k < a.length; k++) {
        if (Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k])) {
          return "parameter " + k + " is " + a[k] + ", recomputed " + b[k] + " (first of "
              + countDifferent(a, b) + " that differ)";
        }
      }
      return "its parameter bytes differ from the recomputed ones";
    }

    /** SHA-256 of a parameter vector: its model kind, dimension and values. */
    private static byte[] digest(io.demlearn.schemas.avro.ParameterVector p) {
      try {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update((p.getModelKind() + "/" + p.getDimension() + "/").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(p.getValues().duplicate());
        return md.digest();
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JVM", e);
      }
    }

    private static int countDifferent(float[] a, float[] b) {
      int n = 0;
      for (int k = 0; k < a.length; k++) {
        n += Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k]) ? 1 : 0;
      }
      return n;
    }
  }
}
