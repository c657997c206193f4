package io.demlearn.worker;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.metrics.EvaluationPlan;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.model.Model;
import io.demlearn.core.model.TrainingPool;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.AgentStart;
import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.ClosedRounds;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Features;
import io.demlearn.pipeline.service.LoopService;
import io.demlearn.pipeline.service.ServiceMeters;
import io.demlearn.pipeline.signing.Signer;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.worker.AgentRounds.Command;
import io.demlearn.worker.AgentRounds.Event;
import io.demlearn.worker.AgentRounds.Publish;
import io.demlearn.worker.AgentRounds.ShareFeatures;
import io.demlearn.worker.AgentRounds.Train;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent worker: hosts the agents whose ids hash to the {@code model-updates} partitions the
 * consumer group gives it, and runs their rounds. The decisions are {@link AgentRounds}'; this
 * class reads and writes Kafka and runs the trainings.
 *
 * <ul>
 *   <li>In: {@code model-updates} (key: agent id, value: ModelUpdate), its own partitions from the
 *       start: an agent's latest update is its state; {@code hierarchy-assignments} (key: version,
 *       value: HierarchyAssignment) and {@code group-models} (key: group id, value: GroupModel),
 *       every partition, on a reader thread of their own.
 *   <li>Out: {@code model-updates}: one update per agent and round, with the evaluation of the
 *       model the agent started the round with; when the experiment clusters a random projection of
 *       the models, {@code clustering-features} (key: agent id, value: ClusteringFeatures): each
 *       update's projection, worked out in batches (the clusterer then reads 1 KB per update
 *       instead of the whole model).
 * </ul>
 *
 * Training is deterministic (randomness from (seed, agent, round)): any worker computes the same
 * update, so a worker that takes an agent over continues from its latest update in the log.
 */
public final class AgentWorker extends LoopService {
  private static final Logger LOG = LoggerFactory.getLogger(AgentWorker.class);

  /**
   * What the worker needs; {@code agents} is every agent's data (hosted ones train, all test data
   * scores); {@code slowAgents} holds back the updates of some agents by a time each (to try a
   * straggler policy), usually empty.
   */
  public record Config(
      Experiment experiment,
      ExperimentTopics topics,
      List<AgentData> agents,
      Map<String, Object> kafka,
      AvroSerdes serdes,
      int threads,
      String workerId,
      Map<String, SlowAgent> slowAgents,
      Signer signer) {
    public Config {
      slowAgents = Map.copyOf(slowAgents);
    }

    /** A worker of an experiment that is not signed. */
    public Config(
        Experiment experiment,
        ExperimentTopics topics,
        List<AgentData> agents,
        Map<String, Object> kafka,
        AvroSerdes serdes,
        int threads,
        String workerId,
        Map<String, SlowAgent> slowAgents) {
      this(experiment, topics, agents, kafka, serdes, threads, workerId, slowAgents, null);
    }
  }

  /** A finished training, held back until it is due (a slow agent's). */
  private record Due(Event trained, long atNanos) {}

  private final Config c;

  /** The keys registered for the experiment, to follow rotations (null: unsigned). */
  private final AgentKeysLog registeredKeys;

  private final AgentRounds rounds;
  private final Evaluator evaluator;
  private final EvaluationPlan evaluation;
  private final AvroDeserializer<ModelUpdate> updateDecoder;
  private final KafkaConsumer<String, byte[]> own;
  private final SharedTopicsReader shared;
  private final KafkaProducer<String, ModelUpdate> producer;

  /** Null unless the experiment clusters published features. */
  private final KafkaProducer<String, ClusteringFeatures> featuresProducer;

  /** Updates whose features are to be worked out and published, in order. */
  private final List<ShareFeatures> featuresToShare = new ArrayList<>();

  /** Features are worked out this many at a time (one matrix product for all). */
  private static final int FEATURES_BATCH = 64;

  private final TrainingPool trainingPool;
  private final ClosedRounds closedRounds;

  /** Events from the reader thread and the trainers, taken in on the loop's thread. */
  private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();

  private final ConcurrentLinkedQueue<Due> trainedQueue = new ConcurrentLinkedQueue<>();
  private final List<Due> heldBack = new ArrayList<>();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

  /** Own partitions still being read back, to the end offset they had when assigned. */
  private final Map<TopicPartition, Long> recoverUntil = new HashMap<>();

  private boolean recovering;

  /** Trainings submitted whose results have not been taken in yet (the loop's thread only). */
  private int inTraining;

  /** Whether updates were handed to the producer since it last sent everything it held. */
  private boolean unsent;

  /** The worker's meters, registered when it starts. */
  private volatile Timer evaluateTimer;

  private volatile Timer trainTimer;
  private volatile Timer publishTimer;
  private volatile Counter trainedCounter;
  private volatile Counter publishedCounter;

  public AgentWorker(Config c) {
    this.c = c;
    Model model = Model.of(c.experiment().settings().architecture());
    this.evaluator = new Evaluator(model, c.agents(), null, 1);
    this.evaluation = c.experiment().settings().evaluation();
    String prefix = ExperimentTopics.PREFIX + c.experiment().id() + ".worker-" + c.workerId();
    this.updateDecoder = c.topics().modelUpdates().valueSerde(c.serdes()).deserializer();
    Map<String, Object> ownConfig =
        ClientConfigs.consumer(
            c.kafka(),
            prefix + "-own",
            ExperimentTopics.PREFIX + c.experiment().id() + ".agent-workers");
    // static membership: a restarted worker (same --worker-id) takes its agents back at once
    ownConfig.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, prefix);
    this.own =
        new KafkaConsumer<>(ownConfig, new StringDeserializer(), new ByteArrayDeserializer());
    this.shared =
        new SharedTopicsReader(c, prefix + "-shared", events::add, own::wakeup, this::fail);
    this.producer =
        new KafkaProducer<>(
            ClientConfigs.batchingProducer(c.kafka(), prefix),
            c.topics().modelUpdates().keySerde().serializer(),
            c.topics().modelUpdates().valueSerde(c.serdes()).serializer());
    this.featuresProducer =
        c.experiment().clustersPublishedFeatures()
            ? new KafkaProducer<>(
                ClientConfigs.batchingProducer(c.kafka(), prefix + "-features"),
                c.topics().clusteringFeatures().keySerde().serializer(),
                c.topics().clusteringFeatures().valueSerde(c.serdes()).serializer())
            : null;
    this.closedRounds = new ClosedRounds(c.kafka(), prefix + "-closes", c.topics(), c.serdes());
    this.registeredKeys =
        c.signer() == null ? null : new AgentKeysLog(c.experiment().id(), c.kafka(), c.serdes());
    this.trainingPool = new TrainingPool(model, c.threads(), "agent-trainer-" + c.workerId() + "-");
    int[] samples = c.agents().stream().mapToInt(a -> a.train().size()).toArray();
    this.rounds =
        new AgentRounds(
            c.experiment(),
            Simulator.initialModel(model, c.experiment().settings().seed()),
            samples,
            Partitions.of(own, c.topics().modelUpdates().name()).size(),
            System::currentTimeMillis,
            closedRounds);
  }

  @Override
  protected void loop() {
    bindClient(own);
    bindClient(producer);
    if (featuresProducer != null) {
      bindClient(featuresProducer);
    }
    Timer evaluate = ServiceMeters.phase(meters(), "evaluate");
    Timer train = ServiceMeters.phase(meters(), "train");
    Counter trained = ServiceMeters.roundsTrained(meters());
    this.evaluateTimer = evaluate;
    this.trainTimer = train;
    this.trainedCounter = trained;
    this.publishTimer = ServiceMeters.phase(meters(), "publish");
    this.publishedCounter = ServiceMeters.updatesPublished(meters());
    Thread reader = new Thread(shared, "agent-worker-" + c.workerId() + "-reader");
    reader.setDaemon(true);
    reader.start();
    try {
      own.subscribe(
          List.of(c.topics().modelUpdates().name()),
          new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
              release(revoked);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
              release(lost);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
              host(assigned);
            }
          });
      while (!closed()) {
        ConsumerRecords<String, byte[]> records;
        try {
          records = own.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          // new events, a finished training, or close(): handle them now
          records = ConsumerRecords.empty();
        }
        try {
          for (ConsumerRecord<String, byte[]> r : records) {
            ModelUpdate u = updateDecoder.deserializeOrNull(r);
            if (u != null) {
              act(rounds.on(new AgentRounds.UpdateRead(r.key(), u)));
            }
          }
          takeEvents();
          checkRecovered();
          sendWhenIdle();
        } catch (WakeupException e) {
          // woken while busy: the next pass picks up whatever is pending
        }
      }
    } finally {
      trainingPool.executor().shutdownNow();
      shared.close();
      try {
        reader.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      own.close();
      closedRounds.close();
      if (registeredKeys != null) {
        registeredKeys.close();
      }
      producer.close(Duration.ofSeconds(10));
      if (featuresProducer != null) {
        featuresProducer.close(Duration.ofSeconds(10));
      }
      trainingPool.close();
    }
  }

  /** Events of the other threads, and the held-back trainings that are due. */
  private void takeEvents() {
    RuntimeException failed = failure.get();
    if (failed != null) {
      throw failed;
    }
    for (Event e; (e = events.poll()) != null; ) {
      act(rounds.on(e));
    }
    for (Due d; (d = trainedQueue.poll()) != null; ) {
      heldBack.add(d);
    }
    long now = System.nanoTime();
    for (Iterator<Due> it = heldBack.iterator(); it.hasNext(); ) {
      Due d = it.next();
      if (d.atNanos() - now <= 0) {
        it.remove();
        inTraining--;
        act(rounds.on(d.trained()));
      }
    }
  }

  private void act(List<Command> commands) {
    boolean borrowed = false;
    for (Command command : commands) {
      if (command instanceof Train t) {
        train(t);
      } else if (command instanceof Publish p) {
        publish(p.update());
      } else if (command instanceof ShareFeatures f) {
        featuresToShare.add(f);
        borrowed |= f.borrowed();
        if (featuresToShare.size() >= FEATURES_BATCH) {
          shareFeatures();
        }
      }
    }
    if (borrowed) {
      shareFeatures(); // before the next event changes the arrays
    }
  }

  /** Works out the features of the updates waiting for them, and publishes them. */
  private void shareFeatures() {
    if (featuresToShare.isEmpty()) {
      return;
    }
    List<float[]> models = new ArrayList<>(featuresToShare.size());
    featuresToShare.forEach(f -> models.add(f.parameters()));
    List<float[]> features = c.experiment().settings().strategy().clusteringFeatures(models);
    String topic = c.topics().clusteringFeatures().name();
    for (int i = 0; i < features.size(); i++) {
      ShareFeatures f = featuresToShare.get(i);
      ClusteringFeatures record =
          Features.of(
              c.experiment().id(), f.agentId(), f.round(), f.hierarchyVersion(), features.get(i));
      if (c.signer() != null) {
        c.signer().keepUpWith(registeredKeys, f.round());
        c.signer().sign(record);
      }
      // restarted, the worker publishes its agents' latest features again
      send(featuresProducer, topic, record, "clustering features", f.agentId(), f.round(), null);
    }
    featuresToShare.clear();
    unsent = true;
  }

  /** Evaluates and trains on a thread of the pool; the result comes back as an event, when due. */
  private void train(Train t) {
    AgentData agent = c.agents().get(t.agent());
    SlowAgent slow = c.slowAgents().get(agent.id());
    long due = slow == null ? 0 : slow.delayIn(t.round()).toNanos();
    inTraining++;
    trainingPool
        .executor()
        .submit(
            () -> {
              try {
                ExperimentSettings s = c.experiment().settings();
                AgentStart start = t.start();
                long began = System.nanoTime();
                AgentScore score =
                    evaluation.evaluates(t.round()) && evaluation.scores(t.agent())
                        ? evaluator.score(t.agent(), start.evalModel())
                        : null;
                long evaluated = System.nanoTime();
                if (score != null) {
                  evaluateTimer.record(evaluated - began, TimeUnit.NANOSECONDS);
                }
                float[] params = start.startModel().clone();
                trainingPool
                    .trainer()
                    .train(
                        params,
                        agent.train(),
                        start.proxTarget(),
                        s.training(),
                        Simulator.trainingStream(s.seed(), t.agent(), t.round()));
                trainTimer.record(System.nanoTime() - evaluated, TimeUnit.NANOSECONDS);
                trainedCounter.increment();
                trainedQueue.add(
                    new Due(new AgentRounds.Trained(t, params, score), System.nanoTime() + due));
              } catch (RuntimeException e) {
                fail(
                    new IllegalStateException(
                        String.format(
                            Locale.ROOT,
                            "local training of %s for round %d failed: %s",
                            agent.id(),
                            t.round(),
                            e),
                        e));
              }
              own.wakeup();
            });
  }

  /**
   * Updates wait in the producer to travel in batches (a request per update would cost the broker
   * and every reader far more); once no training is under way nothing else is coming soon, so what
   * waits is sent now rather than when its wait ends.
   */
  private void sendWhenIdle() {
    if (inTraining == 0) {
      shareFeatures();
    }
    if (unsent && inTraining == 0) {
      producer.flush();
      if (featuresProducer != null) {
        featuresProducer.flush();
      }
      unsent = false;
    }
  }

  private void publish(ModelUpdate update) {
    unsent = true;
    // restarted, the worker recovers from what the log holds and sends it again
    String topic = c.topics().modelUpdates().name();
    if (c.signer() != null) {
      c.signer().keepUpWith(registeredKeys, update.getRound());
      c.signer().sign(update);
    }
    long sent = System.nanoTime();
    send(
        producer,
        topic,
        update,
        "update",
        update.getAgentId(),
        update.getRound(),
        () -> {
          publishTimer.record(System.nanoTime() - sent, TimeUnit.NANOSECONDS);
          publishedCounter.increment();
        });
  }

  /** Sends a record of an agent's round; the worker stops if it cannot be sent. */
  private <V> void send(
      KafkaProducer<String, V> to,
      String topic,
      V value,
      String what,
      String agent,
      int round,
      Runnable acknowledged) {
    to.send(
        new ProducerRecord<>(topic, agent, value),
        (meta, error) -> {
          if (error == null && acknowledged != null) {
            acknowledged.run();
          }
          if (error != null) {
            fail(
                new IllegalStateException(
                    String.format(
                        Locale.ROOT,
                        "cannot publish the %s of %s for round %d: %s",
                        what,
                        agent,
                        round,
                        error),
                    error));
          }
        });
  }

  private void fail(RuntimeException e) {
    failure.compareAndSet(null, e);
    own.wakeup();
  }

  private void host(Collection<TopicPartition> assigned) {
    act(rounds.on(new AgentRounds.Assigned(partitionNumbers(assigned))));
    own.resume(assigned);
    own.seekToBeginning(assigned);
    Map<TopicPartition, Long> end = null;
    while (end == null) {
      try {
        end = own.endOffsets(assigned);
      } catch (WakeupException e) {
        // the reader or a trainer woke us: ask again, this answer is needed
      }
    }
    recoverUntil.putAll(end);
    recovering = true;
    // agents taken over may need group models and hierarchy versions this worker has already
    // forgotten
    shared.rereadFromTheStart();
    LOG.debug(
        "worker {} hosts {} agents after being assigned {}",
        c.workerId(),
        rounds.hostedAgents(),
        assigned);
  }

  private void release(Collection<TopicPartition> revoked) {
    revoked.forEach(recoverUntil::remove);
    act(rounds.on(new AgentRounds.Revoked(partitionNumbers(revoked))));
  }

  private static Set<Integer> partitionNumbers(Collection<TopicPartition> partitions) {
    Set<Integer> out = new HashSet<>();
    partitions.forEach(tp -> out.add(tp.partition()));
    return out;
  }

  /** Once every own partition is read back to its end, the agents go on. */
  private void checkRecovered() {
    if (!recovering) {
      return;
    }
    recoverUntil.entrySet().removeIf(e -> own.position(e.getKey()) >= e.getValue());
    if (recoverUntil.isEmpty()) {
      recovering = false;
      act(rounds.on(new AgentRounds.CaughtUp()));
      // from now on this worker knows its agents' updates first-hand: no need to read them back
      own.pause(own.assignment());
    }
  }

  @Override
  protected void wakeUp() {
    own.wakeup();
  }
}
