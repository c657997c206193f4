package io.demlearn.clusterer;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.ClosedRounds;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.service.LoopService;
import io.demlearn.pipeline.service.ServiceMeters;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.pipeline.signing.Signer;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 * The clusterer: re-forms the hierarchy from the agents' trained models. The decisions are {@link
 * ClusteringDecisions}'; this class reads and writes Kafka.
 *
 * <ul>
 *   <li>In: {@code model-updates} (key: agent id, value: ModelUpdate), or, when the experiment
 *       clusters a random projection of the models, {@code clustering-features} (key: agent id,
 *       value: ClusteringFeatures, the projections the agents' workers publish), every partition
 *       from the start; and {@code hierarchy-assignments} to learn what it published before a
 *       restart.
 *   <li>Out: {@code hierarchy-assignments} (key: version, zero-padded; value: HierarchyAssignment),
 *       one new version each round the strategy rebuilds the tree (DemLearn: every T rounds), with
 *       its linkage matrix and settings; the flat tree before round 0 for FedAvg.
 * </ul>
 *
 * Its state is in the log: after a restart it re-reads both topics and carries on from the last
 * version it published. One instance runs per experiment.
 */
public final class ClustererService extends LoopService {
  private static final Logger LOG = LoggerFactory.getLogger(ClustererService.class);

  /** What the service needs. */
  public record Config(
      Experiment experiment,
      ExperimentTopics topics,
      Map<String, Object> kafka,
      AvroSerdes serdes,
      Signer signer) {
    /** A clusterer of an experiment that is not signed. */
    public Config(
        Experiment experiment,
        ExperimentTopics topics,
        Map<String, Object> kafka,
        AvroSerdes serdes) {
      this(experiment, topics, kafka, serdes, null);
    }
  }

  private final Config c;
  private final ClusteringDecisions decisions;
  private final AvroDeserializer<ModelUpdate> updates;
  private final AvroDeserializer<ClusteringFeatures> features;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, HierarchyAssignment> producer;
  private final ClosedRounds closedRounds;

  /** The signature check of a signed experiment while it runs (its keys follow rotations). */
  private SignatureCheck signatures;

  public ClustererService(Config c) {
    this.c = c;
    String id = ExperimentTopics.PREFIX + c.experiment().id() + ".clusterer";
    this.closedRounds = new ClosedRounds(c.kafka(), id + "-closes", c.topics(), c.serdes());
    this.decisions =
        new ClusteringDecisions(c.experiment(), System::currentTimeMillis, closedRounds);
    this.updates = c.topics().modelUpdates().valueSerde(c.serdes()).deserializer();
    this.features = c.topics().clusteringFeatures().valueSerde(c.serdes()).deserializer();
    this.consumer =
        new KafkaConsumer<>(
            ClientConfigs.consumer(c.kafka(), id, null),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.producer =
        new KafkaProducer<>(
            ClientConfigs.producer(c.kafka(), id + "-hierarchies"),
            c.topics().hierarchyAssignments().keySerde().serializer(),
            c.topics().hierarchyAssignments().valueSerde(c.serdes()).serializer());
  }

  @Override
  protected void loop() {
    bindClient(consumer);
    bindClient(producer);
    Timer cluster = ServiceMeters.phase(meters(), "cluster");
    try (consumer;
        closedRounds;
        SignatureCheck check = AgentKeysLog.checkFor(c.experiment(), c.kafka(), c.serdes())) {
      signatures = check;
      readPublished();
      publish(decisions.on(new ClusteringDecisions.RecoveryDone()));
      boolean readsFeatures = c.experiment().clustersPublishedFeatures();
      String input =
          readsFeatures ? c.topics().clusteringFeatures().name() : c.topics().modelUpdates().name();
      List<TopicPartition> parts = Partitions.of(consumer, input);
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (!closed()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          ClusteringDecisions.Event read = null;
          if (readsFeatures) {
            ClusteringFeatures f = features.deserializeOrNull(r);
            if (f != null && signatures != null && signatures.check(f) != null) {
              f = null; // not signed by its agent: as refused as the aggregator refuses its update
            }
            read = f == null ? null : new ClusteringDecisions.FeaturesRead(r.key(), f);
          } else {
            ModelUpdate u = updates.deserializeOrNull(r);
            if (u != null && signatures != null && signatures.check(u) != null) {
              u = null; // not signed by its agent: the aggregator refuses it too
            }
            read = u == null ? null : new ClusteringDecisions.UpdateRead(r.key(), u);
          }
          if (read != null) {
            decisions.on(read);
          }
        }
        long t0 = System.nanoTime();
        List<HierarchyVersion> built = decisions.on(new ClusteringDecisions.Tick());
        if (!built.isEmpty()) {
          cluster.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
        publish(built);
      }
    } catch (WakeupException e) {
      if (!closed()) {
        throw e;
      }
    } finally {
      producer.close(Duration.ofSeconds(5));
    }
  }

  /** The versions already on the topic (after a restart), read to its end. */
  private void readPublished() {
    AvroDeserializer<HierarchyAssignment> hierarchies =
        c.topics().hierarchyAssignments().valueSerde(c.serdes()).deserializer();
    List<TopicPartition> parts = Partitions.of(consumer, c.topics().hierarchyAssignments().name());
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    Map<TopicPartition, Long> end = consumer.endOffsets(parts);
    while (!Partitions.reached(consumer, end) && !closed()) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        decisions.on(new ClusteringDecisions.Published(hierarchies.deserializeOrNull(r)));
      }
    }
  }

  private void publish(List<HierarchyVersion> versions) {
    for (HierarchyVersion hv : versions) {
      long t0 = System.nanoTime();
      HierarchyAssignment record =
          Hierarchies.toRecord(
              c.experiment().id(),
              hv,
              c.experiment().agentIds(),
              c.experiment().settings(),
              System.currentTimeMillis());
      if (c.signer() != null) {
        c.signer().keepUpWith(signatures.keys(), hv.effectiveFromRound());
        c.signer().sign(record);
      }
      try {
        producer
            .send(
                new ProducerRecord<>(
                    c.topics().hierarchyAssignments().name(),
                    ExperimentTopics.hierarchyKey(hv.version()),
                    record))
            .get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while publishing hierarchy version " + hv.version(), e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(
            "cannot publish hierarchy version " + hv.version() + ": " + e.getCause(), e.getCause());
      }
      ServiceMeters.hierarchiesPublished(meters()).increment();
      LOG.debug(
          "hierarchy version {} for round {} published in {} ms",
          hv.version(),
          hv.effectiveFromRound(),
          (System.nanoTime() - t0) / 1_000_000);
    }
  }

  @Override
  protected void wakeUp() {
    consumer.wakeup();
  }
}
