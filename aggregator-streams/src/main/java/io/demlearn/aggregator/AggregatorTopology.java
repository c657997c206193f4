package io.demlearn.aggregator;

import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The aggregator: a Kafka Streams application that averages model updates bottom-up into group
 * models, under the hierarchy version in force for each round.
 *
 * <ul>
 *   <li>In: {@code model-updates} (key: agent id, value: ModelUpdate) and {@code
 *       hierarchy-assignments} (key: version, value: HierarchyAssignment).
 *   <li>Out: {@code group-models} (key: group id, value: GroupModel), every group of a round at
 *       once, when every agent the hierarchy names has reported for it.
 * </ul>
 *
 * One task sees every update and every hierarchy version of the experiment: with one partition of
 * model updates it reads both topics directly; with more, both are first merged into a repartition
 * topic keyed by experiment id (one more hop per round). Its state (the updates of rounds not yet
 * complete, the hierarchy versions, the next round to close) lives in changelogged stores.
 * Processing is exactly-once (v2).
 */
public final class AggregatorTopology {
  static final String PENDING_STORE = "pending-updates";
  static final String HIERARCHY_STORE = "hierarchies";
  static final String PROGRESS_STORE = "progress";
  private static final String PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED = "processing.exception.handler.global.enabled";

  private AggregatorTopology() {}

  /** What the topology needs: the experiment, its topics and settings, and the serdes' factory. */
  public record Config(String experimentId, ExperimentTopics topics, ExperimentSettings settings, AvroSerdes serdes) {}

  public static Topology build(Config c) {
    // the topology's own config only needs what it checks: Streams warns unless the global
    // processing exception handler flag is on (it will be the default from Kafka 5.0)
    Properties topologyProps = new Properties();
    topologyProps.put(StreamsConfig.APPLICATION_ID_CONFIG, ExperimentTopics.PREFIX + c.experimentId() + ".aggregator");
    topologyProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "configured-by-streamsConfig:9092");
    topologyProps.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(topologyProps)));
    var updateSerde = c.serdes().valueSerde(ModelUpdate.class);
    var hierarchySerde = c.serdes().valueSerde(HierarchyAssignment.class);
    var inputSerde = c.serdes().valueSerde(AggregationInput.class);
    // in memory, restored from its changelog after a restart: it only holds the rounds not yet closed
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE), Serdes.String(), updateSerde));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HIERARCHY_STORE), Serdes.String(), hierarchySerde));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROGRESS_STORE), Serdes.String(), Serdes.Integer()));

    var updates = builder.stream(c.topics().modelUpdates().name(), Consumed.with(Serdes.String(), updateSerde)
            .withName("read-model-updates"))
        .mapValues(u -> AggregationInput.newBuilder().setUpdate(u).build(), Named.as("wrap-update"));
    var hierarchies = builder.stream(c.topics().hierarchyAssignments().name(),
            Consumed.with(Serdes.String(), hierarchySerde).withName("read-hierarchies"))
        .mapValues(h -> AggregationInput.newBuilder().setHierarchy(h).build(), Named.as("wrap-hierarchy"));
    String experiment = c.experimentId();
    var merged = updates.merge(hierarchies, Named.as("merge-inputs"));
    if (c.topics().modelUpdates().spec().partitions() > 1) {
      // one task must see every update: bring them onto one partition first
      merged = merged.selectKey((k, v) -> experiment, Named.as("key-by-experiment"))
          .repartition(Repartitioned.with(Serdes.String(), inputSerde).withName("inputs").withNumberOfPartitions(1));
    }
    merged.process(() -> new RoundAggregator(c.experimentId(), c.settings()), Named.as("aggregate-rounds"),
            PENDING_STORE, HIERARCHY_STORE, PROGRESS_STORE)
        .to(c.topics().groupModels().name(), Produced.with(Serdes.String(), c.serdes().valueSerde(GroupModel.class))
            .withName("write-group-models"));
    return builder.build();
  }

  /**
   * Streams settings for the aggregator of one experiment: exactly-once v2 (commits every 100 ms:
   * agents and metrics read group models as soon as they are written, so no round waits for a
   * commit), records up to the topics' size limit.
   *
   * @param client settings every Kafka client gets (bootstrap servers, security)
   * @param stateDir where the state stores live
   */
  public static Properties streamsConfig(String experimentId, Map<String, Object> client, String stateDir) {
    Map<String, Object> p = new HashMap<>(client);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, ExperimentTopics.PREFIX + experimentId + ".aggregator");
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 1024 * 1024);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    p.put(StreamsConfig.topicPrefix("max.message.bytes"), Integer.toString(ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES));
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }
}
