package io.demlearn.aggregator;

import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
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
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The aggregator: a Kafka Streams application that checks the model updates and averages them
 * bottom-up into group models, under the hierarchy version in force for each round.
 *
 * <ul>
 *   <li>In: {@code model-updates} (key: agent id, value: ModelUpdate) and {@code
 *       hierarchy-assignments} (key: version, value: HierarchyAssignment), read as raw bytes.
 *   <li>Out: {@code group-models} (key: group id, value: GroupModel), every group of a round at
 *       once when the round closes; {@code dead-letters} (key: source topic, value: DeadLetter),
 *       every input record it refuses or does not average, with why and where it came from.
 * </ul>
 *
 * Each input record is first checked on its own ({@link InputCheck}: decoding, experiment, round
 * range, agent, dimension, finite values, norm bound); then one task sees every update and every
 * hierarchy version of the experiment ({@link RoundAggregator}): with one partition of model
 * updates it reads both topics directly; with more, both are first merged into a repartition topic
 * keyed by experiment id (one more hop per round). Its state lives in changelogged stores.
 * Processing is exactly-once (v2): group models and dead letters are written in the same
 * transactions as the state and the input offsets.
 */
public final class AggregatorTopology {
  /** The state stores; each has a changelog topic {@code <application id>-<store>-changelog}. */
  public static final String PENDING_STORE = "pending-updates";

  public static final String HIERARCHY_STORE = "hierarchies";
  public static final String PROGRESS_STORE = "progress";
  public static final String DIGEST_STORE = "counted-digests";

  /**
   * Closed rounds whose update digests the aggregator keeps (to tell a re-sent update from a
   * conflicting one).
   */
  public static final int RETAINED_ROUNDS = 10;

  private static final String PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED =
      "processing.exception.handler.global.enabled";

  private AggregatorTopology() {}

  /** What the topology needs: the experiment, its topics, and the serdes' factory. */
  public record Config(Experiment experiment, ExperimentTopics topics, AvroSerdes serdes) {}

  public static Topology build(Config c) {
    // the topology's own config only needs what it checks: Streams warns unless the global
    // processing exception handler flag is on (it will be the default from Kafka 5.0)
    Properties topologyProps = new Properties();
    topologyProps.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId(c.experiment().id()));
    topologyProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "configured-by-streamsConfig:9092");
    topologyProps.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    StreamsBuilder builder =
        new StreamsBuilder(new TopologyConfig(new StreamsConfig(topologyProps)));
    var updateSerde = c.serdes().valueSerde(ModelUpdate.class);
    var inputSerde = c.serdes().valueSerde(AggregationInput.class);
    var raw = Consumed.with(Serdes.ByteArray(), Serdes.ByteArray());
    // in memory, restored from its changelog after a restart: it only holds the rounds not yet
    // closed
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(PENDING_STORE), Serdes.String(), updateSerde));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(HIERARCHY_STORE),
            Serdes.String(),
            c.serdes().valueSerde(HierarchyAssignment.class)));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PROGRESS_STORE), Serdes.String(), Serdes.Long()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(DIGEST_STORE), Serdes.String(), Serdes.ByteArray()));

    var updates =
        builder.stream(c.topics().modelUpdates().name(), raw.withName("read-model-updates"))
            .process(
                () -> new InputCheck<>(c.experiment(), updateSerde.deserializer(), false),
                Named.as("check-updates"));
    var hierarchies =
        builder.stream(c.topics().hierarchyAssignments().name(), raw.withName("read-hierarchies"))
            .process(
                () ->
                    new InputCheck<>(
                        c.experiment(),
                        c.serdes().valueSerde(HierarchyAssignment.class).deserializer(),
                        true),
                Named.as("check-hierarchies"));
    Map<String, KStream<String, SpecificRecord>> checked =
        updates
            .merge(hierarchies, Named.as("merge-inputs"))
            .split(Named.as("checked-"))
            .branch((k, v) -> v instanceof DeadLetter, Branched.as("refused"))
            .defaultBranch(Branched.as("accepted"));
    writeDeadLetters(c, checked.get("checked-refused"), "write-refused-inputs");

    KStream<String, AggregationInput> inputs =
        checked
            .get("checked-accepted")
            .mapValues(v -> (AggregationInput) v, Named.as("as-aggregation-input"));
    String experiment = c.experiment().id();
    if (c.topics().modelUpdates().spec().partitions() > 1) {
      // one task must see every update: bring them onto one partition first
      inputs =
          inputs
              .selectKey((k, v) -> experiment, Named.as("key-by-experiment"))
              .repartition(
                  Repartitioned.with(Serdes.String(), inputSerde)
                      .withName("inputs")
                      .withNumberOfPartitions(1));
    }
    Map<String, KStream<String, SpecificRecord>> out =
        inputs
            .process(
                () -> new RoundAggregator(c.experiment(), updateSerde.serializer()),
                Named.as("aggregate-rounds"),
                PENDING_STORE,
                HIERARCHY_STORE,
                PROGRESS_STORE,
                DIGEST_STORE)
            .split(Named.as("aggregated-"))
            .branch((k, v) -> v instanceof DeadLetter, Branched.as("refused"))
            .defaultBranch(Branched.as("groups"));
    writeDeadLetters(c, out.get("aggregated-refused"), "write-refused-updates");
    out.get("aggregated-groups")
        .mapValues(v -> (GroupModel) v, Named.as("as-group-model"))
        .to(
            c.topics().groupModels().name(),
            Produced.with(Serdes.String(), c.serdes().valueSerde(GroupModel.class))
                .withName("write-group-models"));
    return builder.build();
  }

  private static void writeDeadLetters(
      Config c, KStream<String, SpecificRecord> refused, String name) {
    refused
        .mapValues(v -> (DeadLetter) v, Named.as("as-" + name.substring("write-".length())))
        .to(
            c.topics().deadLetters().name(),
            Produced.with(Serdes.String(), c.serdes().valueSerde(DeadLetter.class)).withName(name));
  }

  /** The Streams application id (and consumer group) of an experiment's aggregator. */
  public static String applicationId(String experimentId) {
    return ExperimentTopics.PREFIX + experimentId + ".aggregator";
  }

  /**
   * Streams settings for the aggregator of one experiment: exactly-once v2 (commits every 100 ms:
   * agents and metrics read group models as soon as they are written, so no round waits for a
   * commit), records up to the topics' size limit.
   *
   * @param client settings every Kafka client gets (bootstrap servers, security)
   * @param stateDir where the state stores live
   */
  public static Properties streamsConfig(
      String experimentId, Map<String, Object> client, String stateDir) {
    Map<String, Object> p = new HashMap<>(client);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId(experimentId));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 1024 * 1024);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
    p.put(
        StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    p.put(
        StreamsConfig.topicPrefix("max.message.bytes"),
        Integer.toString(ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES));
    // static membership: a restarted aggregator takes its tasks back at once instead of waiting for
    // the dead instance's session to expire
    p.put(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
        applicationId(experimentId) + "-1");
    p.putIfAbsent(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        ClientConfigs.SESSION_TIMEOUT_MS);
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }
}
