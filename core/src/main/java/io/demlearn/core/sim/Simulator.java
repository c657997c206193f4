package io.demlearn.core.sim;

import io.demlearn.core.Seeds;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.experiment.Participation;
import io.demlearn.core.metrics.EvaluationPlan;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.model.Model;
import io.demlearn.core.model.TrainingPool;
import io.demlearn.core.model.TrainingSettings;
import io.demlearn.core.strategy.AgentStart;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * The in-memory reference: runs an experiment round by round with no Kafka, in the authors' order
 * (docs/ALGORITHM.md): evaluate, train every agent (or the round's sample), aggregate (cluster,
 * bottom-up, top-down). Agents train in parallel on a fixed pool of threads, each with its own ND4J
 * working memory; every agent's randomness comes from its own stream (seed, agent, round), so
 * results do not depend on scheduling or thread count. It is the oracle the streaming pipeline is
 * checked against.
 */
public final class Simulator implements AutoCloseable {
  private final ExperimentSettings settings;
  private final List<AgentData> agents;
  private final Model model;
  private final Strategy strategy;
  private final TrainingPool trainingPool;
  private final Evaluator evaluator;
  private final EvaluationPlan evaluation;
  private final Participation participation;
  private final int[] scored;
  private final int[] trainSamples;

  /**
   * What one round produced: its metrics, the state it started from, every agent's latest trained
   * model after it (what it clustered: the round's own for the agents that trained in it), and its
   * timings.
   */
  public record Round(
      RoundMetrics metrics,
      RoundState state,
      List<float[]> trained,
      double seconds,
      Map<String, Double> timings) {}

  /** Called after every round. */
  public interface Listener {
    void onRound(Round round);
  }

  public Simulator(ExperimentSettings settings, List<AgentData> agents) {
    if (agents.size() != settings.agents()) {
      throw new IllegalArgumentException(
          settings.agents() + " agents configured, data for " + agents.size());
    }
    this.settings = settings;
    this.agents = List.copyOf(agents);
    this.model = Model.of(settings.architecture());
    this.strategy = settings.strategy();
    this.trainingPool = new TrainingPool(model, settings.threads(), "demlearn-worker-");
    this.evaluator = new Evaluator(model, this.agents, trainingPool.executor(), settings.threads());
    this.evaluation = settings.evaluation();
    this.scored = evaluation.scored();
    this.participation = settings.participation();
    this.trainSamples = agents.stream().mapToInt(a -> a.train().size()).toArray();
  }

  public Model model() {
    return model;
  }

  /** The common initial model of every agent. */
  public float[] initialModel() {
    return initialModel(model, settings.seed());
  }

  /** The common initial model of every agent of an experiment with this seed. */
  public static float[] initialModel(Model model, long seed) {
    return model.initialParameters(Seeds.random(seed, "initial-model", 0));
  }

  /** The random stream of one agent's local training in one round. */
  public static SplittableRandom trainingStream(long seed, int agent, int round) {
    return Seeds.random(seed, "local-sgd", ((long) round << 32) | agent);
  }

  /** Runs every round. */
  public RoundState run(Listener listener) {
    float[] init = initialModel();
    Map<String, float[]> groups = strategy.initialGroups(init);
    RoundState state =
        new RoundState(
            strategy.initialHierarchy(agents.size()),
            groups,
            groups,
            groups.get(Hierarchy.ROOT),
            Collections.nCopies(agents.size(), strategy.initial(init)),
            participation.everyone() ? null : Collections.nCopies(agents.size(), init));
    for (int round = 0; round < settings.rounds(); round++) {
      state = round(round, state, listener);
    }
    return state;
  }

  /**
   * Runs one round from {@code state}: evaluate, train the round's agents, cluster every agent's
   * latest model, aggregate the trained ones, generalise, and work out every agent's next start
   * from its latest model (an agent that did not train keeps its own model and takes the new group
   * models, as if it had trained to the same model again).
   */
  public RoundState round(int round, RoundState state, Listener listener) {
    long t0 = System.nanoTime();
    int[] present = participation.of(round);
    RoundMetrics metrics =
        evaluation.evaluates(round)
            ? evaluate(round, state, present)
            : RoundMetrics.notEvaluated(round, state.hierarchyVersion());
    long t1 = System.nanoTime();
    List<float[]> trained =
        strategy.federated() ? trainAgents(round, state, present) : trainCentral(round, state);
    checkFinite(round, trained);
    List<float[]> latest = trained;
    if (!participation.everyone()) {
      latest = new ArrayList<>(state.latest());
      for (int a : present) {
        latest.set(a, trained.get(a));
      }
    }
    long t2 = System.nanoTime();
    HierarchyVersion hierarchy =
        strategy.rebuildsIn(round) || state.hierarchy() == null
            ? strategy.hierarchy(round, strategy.clusteringFeatures(latest), state.hierarchy())
            : state.hierarchy();
    long t3 = System.nanoTime();
    Map<String, float[]> raw =
        hierarchy == null ? Map.of() : strategy.aggregate(round, hierarchy, trained, trainSamples);
    Map<String, float[]> generalised =
        hierarchy == null ? Map.of() : strategy.generalise(hierarchy.tree(), raw, null);
    List<AgentStart> next = new ArrayList<>(latest.size());
    for (int a = 0; a < latest.size(); a++) {
      next.add(
          strategy.next(
              a, latest.get(a), hierarchy == null ? null : hierarchy.tree(), generalised));
    }
    long t4 = System.nanoTime();
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("evaluate", (t1 - t0) / 1e9);
    timings.put("train", (t2 - t1) / 1e9);
    timings.put("cluster", (t3 - t2) / 1e9);
    timings.put("aggregate", (t4 - t3) / 1e9);
    listener.onRound(new Round(metrics, state, latest, (t4 - t0) / 1e9, timings));
    return new RoundState(
        hierarchy,
        raw,
        generalised,
        raw.get(Hierarchy.ROOT),
        List.copyOf(next),
        participation.everyone() ? null : Collections.unmodifiableList(latest));
  }

  /**
   * C-SPE and C-GEN over the scored agents that train in the round (their evaluations travel with
   * their updates in the pipeline); group metrics over every group, each counting the agents its
   * model averaged.
   */
  private RoundMetrics evaluate(int round, RoundState state, int[] present) {
    int[] who = scored;
    Evaluator.GroupScores groups =
        evaluator.groups(state.tree(), state.groupModels(), state.global());
    if (!participation.everyone()) {
      who = IntStream.of(scored).filter(a -> Arrays.binarySearch(present, a) >= 0).toArray();
      if (round > 0 && state.tree() != null) {
        Hierarchy tree = state.tree();
        groups =
            groups.averaging(
                g ->
                    (int)
                        tree.group(g).members().stream()
                            .filter(a -> participation.takesPart(a, round - 1))
                            .count());
      }
    }
    return Evaluator.combine(
        round, state.hierarchyVersion(), evaluator.scores(state.evalModels(), who), groups);
  }

  /** A model that is no longer finite would poison every group above it: stop, naming the agent. */
  private void checkFinite(int round, List<float[]> trained) {
    for (int a = 0; a < trained.size(); a++) {
      float[] p = trained.get(a);
      for (int k = 0; p != null && k < p.length; k++) {
        if (!Float.isFinite(p[k])) {
          throw new DivergedException(
              "agent "
                  + agents.get(a).id()
                  + "'s model holds "
                  + p[k]
                  + " (parameter "
                  + k
                  + ") after round "
                  + round
                  + "'s local training: training diverged; try a smaller --learning-rate (now "
                  + settings.learningRate()
                  + ")");
        }
      }
    }
  }

  /** Local training produced a non-finite model. */
  public static final class DivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DivergedException(String message) {
      super(message);
    }
  }

  /** The models the round's agents trained; null for the others. */
  private List<float[]> trainAgents(int round, RoundState state, int[] present) {
    TrainingSettings training = settings.training();
    List<Future<float[]>> futures = new ArrayList<>();
    for (int agent : present) {
      futures.add(
          trainingPool
              .executor()
              .submit(
                  () -> {
                    AgentStart start = state.agents().get(agent);
                    float[] params = start.startModel().clone();
                    trainingPool
                        .trainer()
                        .train(
                            params,
                            agents.get(agent).train(),
                            start.proxTarget(),
                            training,
                            trainingStream(settings.seed(), agent, round));
                    return params;
                  }));
    }
    List<float[]> trained = collect(futures);
    List<float[]> out = new ArrayList<>(Collections.nCopies(agents.size(), (float[]) null));
    for (int i = 0; i < present.length; i++) {
      out.set(present[i], trained.get(i));
    }
    return out;
  }

  private List<float[]> trainCentral(int round, RoundState state) {
    Dataset all = Dataset.concat(agents.stream().map(AgentData::train).toList());
    float[] params = state.startModels().get(0).clone();
    Future<float[]> f =
        trainingPool
            .executor()
            .submit(
                () -> {
                  trainingPool
                      .trainer()
                      .train(
                          params,
                          all,
                          null,
                          settings.training(),
                          Seeds.random(settings.seed(), "central-sgd", round));
                  return params;
                });
    List<float[]> one = collect(List.of(f));
    List<float[]> out = new ArrayList<>();
    for (int a = 0; a < agents.size(); a++) {
      out.add(one.get(0));
    }
    return out;
  }

  private static List<float[]> collect(List<Future<float[]>> futures) {
    List<float[]> out = new ArrayList<>(futures.size());
    try {
      for (Future<float[]> f : futures) {
        out.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while training", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("local training failed: " + e.getCause(), e.getCause());
    }
    return out;
  }

  @Override
  public void close() {
    trainingPool.close();
  }
}
