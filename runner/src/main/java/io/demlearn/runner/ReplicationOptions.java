package io.demlearn.runner;

import io.demlearn.schemas.topics.Replication;
import picocli.CommandLine.Option;

/**
 * How the topics a command creates are replicated: the experiment's and those Kafka Streams makes
 * for its aggregator. By default min(3, brokers) replicas with one fewer in sync, so that a cluster
 * of three or more loses no write and keeps running with one broker down.
 */
final class ReplicationOptions {
  @Option(
      names = "--replication-factor",
      paramLabel = "R",
      description =
          "Replicas of every topic the experiment and its aggregator create; at most the"
              + " cluster's brokers (default: min(3, brokers)).")
  Short replicationFactor;

  @Option(
      names = "--min-insync-replicas",
      paramLabel = "M",
      description =
          "The topics' min.insync.replicas: a write counts once M replicas have it (default: the"
              + " replication factor less one, at least 1).")
  Integer minInsyncReplicas;

  /**
   * The replication asked for, checked against the cluster: a factor above its brokers is an error
   * (after waiting the connect timeout for brokers that are still starting).
   */
  Replication resolve(Connection conn, Console console) {
    if (replicationFactor != null && replicationFactor < 1) {
      throw new UserException("--replication-factor must be at least 1, got " + replicationFactor);
    }
    if (minInsyncReplicas != null && minInsyncReplicas < 1) {
      throw new UserException("--min-insync-replicas must be at least 1, got " + minInsyncReplicas);
    }
    int brokers = conn.awaitBrokers(replicationFactor != null ? replicationFactor : 1);
    short factor =
        replicationFactor != null ? replicationFactor : Replication.forBrokers(brokers).factor();
    if (factor > brokers) {
      throw new UserException(
          "--replication-factor "
              + factor
              + " is more than the "
              + brokers
              + " broker"
              + (brokers == 1 ? "" : "s")
              + " of the Kafka cluster at "
              + conn.bootstrapServers()
              + ": give at most "
              + brokers
              + ", or start more brokers");
    }
    int min = minInsyncReplicas != null ? minInsyncReplicas : Replication.defaultMinInsync(factor);
    if (min > factor) {
      throw new UserException(
          "--min-insync-replicas "
              + min
              + " is more than the replication factor "
              + factor
              + ": no write could ever succeed");
    }
    Replication r = new Replication(factor, min);
    console.step(
        "topics replicated: "
            + r.describe()
            + " ("
            + brokers
            + (brokers == 1 ? " broker)" : " brokers)"));
    return r;
  }
}
