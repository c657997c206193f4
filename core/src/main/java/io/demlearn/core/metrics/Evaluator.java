package io.demlearn.core.metrics;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.model.Model;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.ToIntFunction;

/**
 * Computes a round's metrics as the authors' code does (test data only): models predict the union
 * of the agents' test sets (each agent's own test set is a slice of it). Every model is predicted
 * on its own, so an agent scoring itself and the simulator scoring everyone get the same bits.
 */
public final class Evaluator {
  private final Model model;
  private final TestUnion tests;
  private final Dataset union;
  private final int[] offset;
  private final int[] count;
  private final ExecutorService pool;
  private final int threads;

  /** Each thread keeps the union test set in the tensor library's memory. */
  private final ThreadLocal<Model.Predictor> predictor;

  /**
   * The union of some agents' test sets, built once for every evaluator of the same agents' data in
   * a process (the pipeline's worker and metrics collector, 170 MB at 10,000 agents): the last one
   * built is shared while an evaluator holds it.
   */
  private record TestUnion(List<Dataset> parts, Dataset union) {
    private static WeakReference<TestUnion> last = new WeakReference<>(null);

    static synchronized TestUnion of(List<Dataset> parts) {
      TestUnion known = last.get();
      if (known != null && sameParts(known.parts, parts)) {
        return known;
      }
      TestUnion built = new TestUnion(parts, Dataset.concat(parts));
      last = new WeakReference<>(built);
      return built;
    }

    private static boolean sameParts(List<Dataset> a, List<Dataset> b) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i) != b.get(i)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * @param pool threads for predicting many models, or null to predict on the caller's thread
   */
  public Evaluator(Model model, List<AgentData> agents, ExecutorService pool, int threads) {
    this.model = model;
    List<Dataset> tests = agents.stream().map(AgentData::test).toList();
    this.tests = TestUnion.of(tests);
    this.union = this.tests.union();
    this.offset = new int[agents.size()];
    this.count = new int[agents.size()];
    int at = 0;
    for (int a = 0; a < agents.size(); a++) {
      offset[a] = at;
      count[a] = tests.get(a).size();
      at += count[a];
    }
    this.pool = pool;
    this.threads = pool == null ? 1 : threads;
    this.predictor = ThreadLocal.withInitial(() -> model.predictor(union));
  }

  /** Group metrics of a round: per level, and Global. */
  public record GroupScores(
      List<Double> gSpe, List<Double> gGen, Map<String, Integer> members, Double global) {
    public static final GroupScores NONE = new GroupScores(List.of(), List.of(), Map.of(), null);

    /**
     * The same scores, each group's members being the agents its model averaged (fewer than the
     * tree's when some did not train or report), by group id.
     */
    public GroupScores averaging(ToIntFunction<String> agentsAveraged) {
      Map<String, Integer> averaged = new LinkedHashMap<>();
      members.keySet().forEach(g -> averaged.put(g, agentsAveraged.applyAsInt(g)));
      return new GroupScores(gSpe, gGen, averaged, global);
    }
  }

  /**
   * The metrics of one round from the models themselves.
   *
   * @param agentModels per agent, the model it is evaluated with
   * @param scored the agents whose models C-SPE and C-GEN score, ascending
   * @param tree the hierarchy the group models belong to, or null (no group metrics)
   * @param groupModels group models by id (as evaluated: DemLearn's generalised ones)
   * @param global the root model for the Global metric, or null
   */
  public RoundMetrics evaluate(
      int round,
      int hierarchyVersion,
      List<float[]> agentModels,
      int[] scored,
      Hierarchy tree,
      Map<String, float[]> groupModels,
      float[] global) {
    return combine(
        round, hierarchyVersion, scores(agentModels, scored), groups(tree, groupModels, global));
  }

  /** Metrics from the scored agents' scores (C-SPE and C-GEN null if none) and the groups'. */
  public static RoundMetrics combine(
      int round, int hierarchyVersion, List<AgentScore> scores, GroupScores groups) {
    long ownCorrect = 0;
    long ownTotal = 0;
    double genSum = 0;
    for (AgentScore s : scores) {
      ownCorrect += s.ownCorrect();
      ownTotal += s.ownTotal();
      genSum += s.allCorrect() / (double) s.allTotal();
    }
    boolean any = !scores.isEmpty();
    return new RoundMetrics(
        round,
        hierarchyVersion,
        scores.size(),
        any ? ownCorrect / (double) ownTotal : null,
        any ? genSum / scores.size() : null,
        groups.global(),
        groups.gSpe(),
        groups.gGen(),
        groups.members());
  }

  /** One agent's score with {@code params}. */
  public AgentScore score(int agent, float[] params) {
    return score(agent, predictor.get().predict(params));
  }

  private AgentScore score(int agent, int[] predictions) {
    return new AgentScore(
        correct(predictions, offset[agent], offset[agent] + count[agent]),
        count[agent],
        correct(predictions, 0, union.size()),
        union.size());
  }

  /**
   * The scores of some agents, in the order of {@code scored} (a model shared by several agents is
   * predicted once).
   *
   * @param agentModels per agent, its model
   */
  public List<AgentScore> scores(List<float[]> agentModels, int[] scored) {
    Map<float[], Integer> index = new IdentityHashMap<>();
    List<float[]> distinct = new ArrayList<>();
    for (int a : scored) {
      float[] m = agentModels.get(a);
      index.computeIfAbsent(
          m,
          k -> {
            distinct.add(k);
            return distinct.size() - 1;
          });
    }
    int[][] predictions = predictAll(distinct);
    List<AgentScore> out = new ArrayList<>(scored.length);
    for (int a : scored) {
      out.add(score(a, predictions[index.get(agentModels.get(a))]));
    }
    return out;
  }

  /** Group metrics: each group model on its members' test data and on all; Global: the root. */
  public GroupScores groups(Hierarchy tree, Map<String, float[]> groupModels, float[] global) {
    if (tree == null || groupModels.isEmpty()) {
      return global == null
          ? GroupScores.NONE
          : new GroupScores(List.of(), List.of(), Map.of(), accuracy(global));
    }
    Map<float[], Integer> index = new IdentityHashMap<>();
    List<float[]> distinct = new ArrayList<>();
    for (Hierarchy.Group g : tree.topDown()) {
      float[] m = groupModels.get(g.id());
      if (m == null) {
        throw new IllegalArgumentException("no model for group " + g.id());
      }
      index.computeIfAbsent(
          m,
          k -> {
            distinct.add(k);
            return distinct.size() - 1;
          });
    }
    if (global != null) {
      index.computeIfAbsent(
          global,
          k -> {
            distinct.add(k);
            return distinct.size() - 1;
          });
    }
    int[][] predictions = predictAll(distinct);
    List<Double> gSpe = new ArrayList<>();
    List<Double> gGen = new ArrayList<>();
    Map<String, Integer> members = new TreeMap<>();
    for (int level = 1; level <= tree.topLevel(); level++) {
      double spe = 0;
      double gen = 0;
      double weight = 0;
      for (Hierarchy.Group g : tree.atLevel(level)) {
        int[] p = predictions[index.get(groupModels.get(g.id()))];
        long c = 0;
        long n = 0;
        for (int a : g.members()) {
          c += correct(p, offset[a], offset[a] + count[a]);
          n += count[a];
        }
        spe += g.agentCount() * (c / (double) n);
        gen += g.agentCount() * (correct(p, 0, union.size()) / (double) union.size());
        weight += g.agentCount();
        members.put(g.id(), g.agentCount());
      }
      gSpe.add(weight > 0 ? spe / weight : null);
      gGen.add(weight > 0 ? gen / weight : null);
    }
    Double globalAccuracy =
        global == null
            ? null
            : correct(predictions[index.get(global)], 0, union.size()) / (double) union.size();
    return new GroupScores(gSpe, gGen, members, globalAccuracy);
  }

  private double accuracy(float[] params) {
    return correct(predictor.get().predict(params), 0, union.size()) / (double) union.size();
  }

  private long correct(int[] predicted, int from, int to) {
    long c = 0;
    int[] labels = union.labels();
    for (int i = from; i < to; i++) {
      if (predicted[i] == labels[i]) {
        c++;
      }
    }
    return c;
  }

  private int[][] predictOnThisThread(List<float[]> models) {
    Model.Predictor p = predictor.get();
    int[][] out = new int[models.size()][];
    for (int m = 0; m < out.length; m++) {
      out[m] = p.predict(models.get(m));
    }
    return out;
  }

  private int[][] predictAll(List<float[]> models) {
    int chunks = Math.min(threads, models.size());
    if (chunks <= 1) {
      return predictOnThisThread(models);
    }
    int[][] out = new int[models.size()][];
    List<Future<int[][]>> parts = new ArrayList<>();
    int per = (models.size() + chunks - 1) / chunks;
    for (int from = 0; from < models.size(); from += per) {
      List<float[]> slice = models.subList(from, Math.min(models.size(), from + per));
      parts.add(pool.submit(() -> predictOnThisThread(slice)));
    }
    int at = 0;
    try {
      for (Future<int[][]> f : parts) {
        for (int[] p : f.get()) {
          out[at++] = p;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while evaluating", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("evaluation failed: " + e.getCause(), e.getCause());
    }
    return out;
  }
}
