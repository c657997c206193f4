package io.demlearn.aggregator;

import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.ServiceMeters;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.GroupState;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.Topic;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The aggregator: a Kafka Streams application that checks the model updates and averages them
 * bottom-up into group models, per group and per level, under the hierarchy version in force for
 * each round. It can run whole, or for a range of levels (the paper's tiers: the levels near the
 * agents at an edge site, the rest in the cloud), each range with any number of instances.
 *
 * <ul>
 *   <li>Intake (with level 1; one task per partition of {@code model-updates}): checks each record
 *       on its own ({@link InputCheck}), counts each agent's updates and adds them into one running
 *       sum per group for the agents the partition hosts ({@link AgentIntake}); sends each group's
 *       sum to the group's level when its agents there are in.
 *   <li>Hierarchies: each version once ({@link HierarchyGate}) to every partition of the control
 *       topic, which every intake task reads; under a straggler policy, one decision per round from
 *       the intake's tallies ({@link RoundCloser}), sent the same way.
 *   <li>Levels: one running sum per (round, group), keyed and partitioned by both ({@link
 *       GroupAggregator}); a complete group's model goes to {@code group-models} at once and, as
 *       one contribution, to its parent's level.
 * </ul>
 *
 * Sums are exact ({@link io.demlearn.core.aggregate.ExactSum}): no arrival order, partitioning,
 * number of instances or tier changes a bit. Every refused or late record becomes a dead letter
 * naming its source. Processing is exactly-once (v2): outputs are written in the same transactions
 * as the state and the input offsets. State holds sums and offsets, never the updates.
 */
public final class AggregatorTopology {
  /** The state stores; each has a changelog topic {@code <application id>-<store>-changelog}. */
  public static final String INTAKE_HIERARCHIES = "intake-hierarchies";

  public static final String INTAKE_COUNTED = "intake-counted";
  public static final String INTAKE_PARTIALS = "intake-partials";
  public static final String INTAKE_ROUNDS = "intake-rounds";
  public static final String GATE_HIERARCHIES = "gate-hierarchies";
  public static final String CLOSER_TALLIES = "closer-tallies";
  public static final String LEVEL_GROUPS = "level-groups";

  /**
   * Rounds whose update offsets the aggregator keeps, per agent up to its last counted round (to
   * tell a re-sent update from a conflicting one), and whose progress it keeps after they are
   * aggregated.
   */
  public static final int RETAINED_ROUNDS = 10;

  private static final String PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED =
      "processing.exception.handler.global.enabled";

  private AggregatorTopology() {}

  /**
   * What the topology needs: the experiment, its topics, the serdes' factory, the levels it
   * aggregates ({@code fromLevel..toLevel}; the intake comes with level 1), how it reads updates
   * back from their topic, and where its meters go (updates accepted, records refused by reason,
   * group models and aggregation time per level: {@link ServiceMeters}).
   */
  public record Config(
      Experiment experiment,
      ExperimentTopics topics,
      AvroSerdes serdes,
      int fromLevel,
      int toLevel,
      UpdateLog.Factory updateLog,
      MeterRegistry meters,
      KeysFactory keys) {
    public Config {
      int top = experiment.topLevel();
      if (fromLevel < 1 || toLevel < fromLevel || toLevel > top) {
        throw new IllegalArgumentException(
            "levels "
                + fromLevel
                + "-"
                + toLevel
                + " are not a range within 1-"
                + top
                + " (this experiment's hierarchy has "
                + top
                + (top == 1 ? " level)" : " levels)"));
      }
    }

    /** No meters. */
    public Config(
        Experiment experiment,
        ExperimentTopics topics,
        AvroSerdes serdes,
        int fromLevel,
        int toLevel,
        UpdateLog.Factory updateLog) {
      this(
          experiment,
          topics,
          serdes,
          fromLevel,
          toLevel,
          updateLog,
          ServiceMeters.none(),
          appConfigs -> new AgentKeysLog(experiment.id(), appConfigs, serdes));
    }

    /** The same, its meters in {@code registry}. */
    public Config withMeters(MeterRegistry registry) {
      return new Config(experiment, topics, serdes, fromLevel, toLevel, updateLog, registry, keys);
    }

    /** The same, reading a signed experiment's keys from {@code keys}. */
    public Config withKeys(KeysFactory keys) {
      return new Config(experiment, topics, serdes, fromLevel, toLevel, updateLog, meters, keys);
    }

    /** Every level, reading updates back with a consumer. */
    public Config(Experiment experiment, ExperimentTopics topics, AvroSerdes serdes) {
      this(experiment, topics, serdes, 1, experiment.topLevel(), UpdateLog::kafka);
    }

    /** Some levels, reading updates back with a consumer. */
    public Config(
        Experiment experiment, ExperimentTopics topics, AvroSerdes serdes, int from, int to) {
      this(experiment, topics, serdes, from, to, UpdateLog::kafka);
    }
  }

  /**
   * Where a task of a signed experiment reads the keys that signatures are checked against: the
   * {@code agent-keys} topic by default, with the application's client settings.
   */
  public interface KeysFactory {
    SignatureCheck.Keys open(Map<String, Object> appConfigs);
  }

  /**
   * The levels {@code text} names ("A-B", or "A" for one), or every level if it is null.
   *
   * @throws IllegalArgumentException saying what would be valid
   */
  public static int[] levels(Experiment experiment, String text) {
    int top = experiment.topLevel();
    if (text == null || text.isBlank()) {
      return new int[] {1, top};
    }
    String[] parts = text.trim().split("-", -1);
    try {
      int from = Integer.parseInt(parts[0].trim());
      int to = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : from;
      if (parts.length > 2 || from < 1 || to < from || to > top) {
        throw new NumberFormatException();
      }
      return new int[] {from, to};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--levels '"
              + text
              + "' is not a range of this experiment's levels: use A-B with 1 <= A <= B <= "
              + top
              + " (e.g. 1-"
              + top
              + ")");
    }
  }

  /** The topics the aggregator writes that it does not find: they must exist before it starts. */
  public static List<Topic<? extends SpecificRecord>> topics(
      Experiment experiment, ExperimentTopics topics) {
    return topics.aggregation(experiment.topLevel());
  }

  public static Topology build(Config c) {
    // the topology's own config only needs what it checks: Streams warns unless the global
    // processing exception handler flag is on (it will be the default from Kafka 5.0)
    Properties topologyProps = new Properties();
    topologyProps.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId(c));
    topologyProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "configured-by-streamsConfig:9092");
    topologyProps.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    StreamsBuilder builder =
        new StreamsBuilder(new TopologyConfig(new StreamsConfig(topologyProps)));
    if (c.fromLevel() == 1) {
      IntakeTopology.add(builder, c);
    }
    levels(builder, c);
    return builder.build();
  }

  /**
   * A store in memory, restored from its changelog after a restart; small: sums and offsets.
   *
   * @param cached whether writes go through the record cache, so that a value rewritten many times
   *     between commits (a running sum) reaches the changelog once. A cached entry keeps the raw
   *     input record that last wrote it (Kafka 4's record context, for its error handlers), for as
   *     long as the entry stays in the cache, flushed or not: only stores whose entries are written
   *     while few records are being processed are cached (the intake's running sums, written at
   *     intervals; the level stage's open groups), never one written per update
   */
  static <V> void store(StreamsBuilder b, String name, Serde<V> values, boolean cached) {
    var store =
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), values);
    b.addStateStore(cached ? store.withCachingEnabled() : store.withCachingDisabled());
  }

  private static void levels(StreamsBuilder builder, Config c) {
    List<String> inputs = new ArrayList<>();
    for (int level = c.fromLevel(); level <= c.toLevel(); level++) {
      inputs.add(c.topics().aggregationLevel(level).name());
    }
    store(builder, LEVEL_GROUPS, c.serdes().valueSerde(GroupState.class), true);
    Map<String, KStream<String, SpecificRecord>> out =
        builder.stream(
                inputs,
                Consumed.with(Serdes.String(), c.serdes().valueSerde(GroupContribution.class))
                    .withName("read-levels"))
            .process(
                () -> new GroupAggregator(c.experiment(), c.meters()),
                Named.as("sum-groups"),
                LEVEL_GROUPS)
            .split(Named.as("level-"))
            .branch((k, v) -> v instanceof GroupModel, Branched.as("models"))
            .defaultBranch(Branched.as("sums"));
    out.get("level-models")
        .mapValues(v -> (GroupModel) v, Named.as("as-group-model"))
        .to(
            c.topics().groupModels().name(),
            Produced.with(Serdes.String(), c.serdes().valueSerde(GroupModel.class))
                .withName("write-group-models"));
    toLevels(c, out.get("level-sums"), "send-group-sums");
  }

  /** Contributions to the topic of their group's level. */
  static void toLevels(Config c, KStream<String, SpecificRecord> sums, String name) {
    ExperimentTopics topics = c.topics();
    sums.mapValues(v -> (GroupContribution) v, Named.as("as-" + name.substring("send-".length())))
        .to(
            (key, value, context) ->
                topics.aggregationLevel(value.getRoute().get(0).getLevel()).name(),
            Produced.with(Serdes.String(), c.serdes().valueSerde(GroupContribution.class))
                .withName(name));
  }

  /** Dead letters out; the accepted records on. */
  static KStream<String, SpecificRecord> split(
      KStream<String, SpecificRecord> checked, Config c, String prefix) {
    Map<String, KStream<String, SpecificRecord>> b =
        checked
            .split(Named.as(prefix))
            .branch((k, v) -> v instanceof DeadLetter, Branched.as("refused"))
            .defaultBranch(Branched.as("accepted"));
    writeDeadLetters(c, b.get(prefix + "refused"), "write-" + prefix + "refused");
    return b.get(prefix + "accepted");
  }

  static void writeDeadLetters(Config c, KStream<String, SpecificRecord> refused, String name) {
    String prefix = ExperimentTopics.PREFIX + c.experiment().id() + ".";
    refused
        .mapValues(v -> (DeadLetter) v, Named.as("as-" + name.substring("write-".length())))
        .peek(
            (k, d) ->
                ServiceMeters.refused(
                        c.meters(),
                        d.getSourceTopic().startsWith(prefix)
                            ? d.getSourceTopic().substring(prefix.length())
                            : d.getSourceTopic(),
                        d.getReason().name())
                    .increment(),
            Named.as("count-" + name.substring("write-".length())))
        .to(
            c.topics().deadLetters().name(),
            Produced.with(Serdes.String(), c.serdes().valueSerde(DeadLetter.class)).withName(name));
  }

  /**
   * The Streams application id (and consumer group) of an experiment's aggregator: {@code
   * demlearn.<experiment>.aggregator} for every level, {@code ...aggregator.levels-A-B} for a
   * range.
   */
  public static String applicationId(Config c) {
    String whole = applicationId(c.experiment().id());
    return c.fromLevel() == 1 && c.toLevel() == c.experiment().topLevel()
        ? whole
        : whole + ".levels-" + c.fromLevel() + "-" + c.toLevel();
  }

  /** The application id of an experiment's aggregator of every level. */
  public static String applicationId(String experimentId) {
    return ExperimentTopics.PREFIX + experimentId + ".aggregator";
  }

  /**
   * Streams settings for one aggregator instance: exactly-once v2 (a commit every second, and one
   * as soon as a sum leaves for the next level or a group model is written, so that no level waits
   * for the interval); a record cache, so that a running sum updated many times between commits
   * reaches its changelog once; records up to the topics' size limit.
   *
   * @param client settings every Kafka client gets (bootstrap servers, security)
   * @param stateDir where the state stores live
   * @param instance this instance's name among those of the same levels (its static membership)
   */
  public static Properties streamsConfig(
      Config c, Map<String, Object> client, String stateDir, String instance) {
    Map<String, Object> p = new HashMap<>(client);
    String id = applicationId(c);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    // the topics Streams makes (changelogs) are replicated as the experiment's own
    Replication replication = c.topics().replication();
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replication.factor());
    if (replication.minInsyncReplicas() > 0) {
      p.put(
          StreamsConfig.topicPrefix("min.insync.replicas"),
          Integer.toString(replication.minInsyncReplicas()));
    }
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L * 1024 * 1024);
    // records buffered per input partition before processing (Streams' default, 1,000, would be
    // 31 MB of MLR updates, 3.3 GB of CNN ones)
    p.put(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG, 32);
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    // the producer keeps every buffer of batch.size it ever used in a pool: small batches (a larger
    // record gets a buffer of its own size, freed after it is sent) keep that pool small
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 64 * 1024);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
    // fetch a few updates at a time (a larger record still comes whole): what the consumer holds
    // fetched does not grow with the agents
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 1 << 20);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 4 << 20);
    p.put(
        StreamsConfig.topicPrefix("max.message.bytes"),
        Integer.toString(ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES));
    // static membership: a restarted instance takes its tasks back at once instead of waiting for
    // the dead one's session to expire
    p.put(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
        id + "-" + instance);
    p.putIfAbsent(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        ClientConfigs.SESSION_TIMEOUT_MS);
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }
}
