package io.demlearn.schemas.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates topics explicitly, in one place. Creating a topic that exists with the same settings is
 * fine; one that exists with a different partition count, replication factor or topic config is
 * reported as a {@link TopicConflictException}, never silently reused.
 */
public final class TopicAdmin {
  private final Admin admin;
  private final Duration timeout;

  /**
   * How one existing topic is partitioned and replicated.
   *
   * @param partitions its partition count
   * @param factor replicas of its first partition
   * @param minInsync its effective {@code min.insync.replicas}
   */
  public record Replicas(int partitions, int factor, int minInsync) {
    /** Whether it is weaker than asked in either. */
    public boolean weakerThan(Replication asked) {
      return (asked.factor() > 0 && factor < asked.factor())
          || (asked.minInsyncReplicas() > 0 && minInsync < asked.minInsyncReplicas());
    }
  }

  /** What {@link #ensure} did. */
  public record Outcome(List<String> created, List<String> existing) {}

  public TopicAdmin(Admin admin, Duration timeout) {
    this.admin = admin;
    this.timeout = timeout;
  }

  /**
   * Makes sure every topic exists with its spec.
   *
   * @throws TopicConflictException if some exist with other settings (nothing is changed then)
   */
  public Outcome ensure(Collection<TopicSpec> specs) {
    Map<String, TopicSpec> byName = new LinkedHashMap<>();
    specs.forEach(s -> byName.put(s.name(), s));
    Map<String, TopicDescription> found = describe(byName.keySet());

    List<String> conflicts = new ArrayList<>();
    conflicts.addAll(compare(byName, found));
    if (!conflicts.isEmpty()) {
      throw new TopicConflictException(conflicts);
    }

    List<NewTopic> toCreate = new ArrayList<>();
    for (TopicSpec spec : byName.values()) {
      if (!found.containsKey(spec.name())) {
        Optional<Short> rf =
            spec.replicationFactor() < 0 ? Optional.empty() : Optional.of(spec.replicationFactor());
        toCreate.add(
            new NewTopic(spec.name(), Optional.of(spec.partitions()), rf).configs(spec.configs()));
      }
    }
    List<String> created = new ArrayList<>();
    List<String> raced = new ArrayList<>();
    Map<String, KafkaFuture<Void>> futures = admin.createTopics(toCreate).values();
    for (Map.Entry<String, KafkaFuture<Void>> e : futures.entrySet()) {
      try {
        await(e.getValue(), "create topic " + e.getKey());
        created.add(e.getKey());
      } catch (KafkaOperationException ex) {
        if (ex.getCause() instanceof TopicExistsException) {
          raced.add(e.getKey()); // created concurrently by another process: check it below
        } else {
          throw ex;
        }
      }
    }
    if (!raced.isEmpty()) {
      Map<String, TopicSpec> racedSpecs = new LinkedHashMap<>();
      raced.forEach(n -> racedSpecs.put(n, byName.get(n)));
      List<String> late = compare(racedSpecs, describe(racedSpecs.keySet()));
      if (!late.isEmpty()) {
        throw new TopicConflictException(late);
      }
    }
    List<String> existing = new ArrayList<>(found.keySet());
    existing.addAll(raced);
    created.sort(null);
    existing.sort(null);
    return new Outcome(created, existing);
  }

  /**
   * How existing topics are partitioned and replicated: their partitions, the replicas of their
   * first partition and their effective {@code min.insync.replicas}; topics that do not exist are
   * left out.
   */
  public Map<String, Replicas> replication(Collection<String> names) {
    Map<String, TopicDescription> found = describe(names);
    Map<String, Replicas> out = new TreeMap<>();
    if (found.isEmpty()) {
      return out;
    }
    Map<ConfigResource, Config> configs =
        await(
            admin
                .describeConfigs(
                    found.keySet().stream()
                        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                        .toList())
                .all(),
            "describe topic configs");
    for (TopicDescription d : found.values()) {
      int replicas = d.partitions().isEmpty() ? 1 : d.partitions().get(0).replicas().size();
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, d.name()));
      ConfigEntry minIsr = config == null ? null : config.get("min.insync.replicas");
      int min = minIsr == null || minIsr.value() == null ? 1 : Integer.parseInt(minIsr.value());
      out.put(d.name(), new Replicas(d.partitions().size(), replicas, min));
    }
    return out;
  }

  /**
   * The names of every topic on the cluster that starts with {@code prefix} (internal topics
   * included).
   */
  public List<String> names(String prefix) {
    return await(
            admin.listTopics(new ListTopicsOptions().listInternal(true)).names(), "list topics")
        .stream()
        .filter(n -> n.startsWith(prefix))
        .sorted()
        .toList();
  }

  private Map<String, TopicDescription> describe(Collection<String> names) {
    Map<String, TopicDescription> found = new HashMap<>();
    for (Map.Entry<String, KafkaFuture<TopicDescription>> e :
        admin.describeTopics(names).topicNameValues().entrySet()) {
      try {
        found.put(e.getKey(), await(e.getValue(), "describe topic " + e.getKey()));
      } catch (KafkaOperationException ex) {
        if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw ex;
        }
      }
    }
    return found;
  }

  private List<String> compare(Map<String, TopicSpec> specs, Map<String, TopicDescription> found) {
    List<String> conflicts = new ArrayList<>();
    if (found.isEmpty()) {
      return conflicts;
    }
    List<ConfigResource> resources =
        found.keySet().stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs =
        await(admin.describeConfigs(resources).all(), "describe topic configs");
    for (TopicDescription d : found.values()) {
      TopicSpec spec = specs.get(d.name());
      int partitions = d.partitions().size();
      if (partitions != spec.partitions()) {
        conflicts.add(d.name() + ": partitions is " + partitions + ", wanted " + spec.partitions());
      }
      int replicas = d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size();
      if (spec.replicationFactor() > 0 && replicas != spec.replicationFactor()) {
        conflicts.add(
            d.name()
                + ": replication factor is "
                + replicas
                + ", wanted "
                + spec.replicationFactor());
      }
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, d.name()));
      for (Map.Entry<String, String> want : spec.configs().entrySet()) {
        ConfigEntry entry = config == null ? null : config.get(want.getKey());
        String have = entry == null ? null : entry.value();
        if (!want.getValue().equals(have)) {
          conflicts.add(
              d.name() + ": " + want.getKey() + " is " + have + ", wanted " + want.getValue());
        }
      }
    }
    conflicts.sort(null);
    return conflicts;
  }

  private <T> T await(KafkaFuture<T> future, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new KafkaOperationException(
          "cannot "
              + what
              + ": "
              + e.getCause().getMessage()
              + (e.getCause() instanceof AuthorizationException
                  ? " (the cluster refuses this client's principal: creating and inspecting an"
                      + " experiment's topics takes the operator's client config)"
                  : ""),
          e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaOperationException(
          "cannot " + what + ": no answer from the cluster within " + timeout.toSeconds() + " s",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaOperationException("interrupted while trying to " + what, e);
    }
  }

  /** A cluster operation failed; the cause is Kafka's exception. */
  public static final class KafkaOperationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaOperationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
