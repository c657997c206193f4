package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.clients.ClientSettings;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.pipeline.signing.Ed25519;
import io.demlearn.pipeline.signing.KeyRing;
import io.demlearn.pipeline.signing.Signer;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.SchemaRegistryClient;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.registry.SchemaRegistryException;
import io.demlearn.schemas.security.Role;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.stack.StackSecurity;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --sign}: keys issued (public on agent-keys, private in files readable by their owner
 * only), every update signed; a well-formed update for an agent's next round signed with another
 * key, and a well-formed hierarchy version for the next round signed with a key that is not the
 * clusterer's, written while the experiment runs, are dead letters BAD_SIGNATURE (the workers and
 * the metrics collector ignore the version too) and change nothing: the metrics equal {@code
 * simulate}'s. On a plain cluster, and on a secure one (mutual TLS, ACLs; {@link StackSecurity}),
 * where the forgeries come from principals allowed to write those topics (a worker, the clusterer),
 * every service runs as its own role, a client without a certificate and a worker writing hierarchy
 * versions are refused and write nothing, and audit and replay work with the operator's
 * credentials.
 */
@Tag("integration")
class SignedRunIT {
  private static final List<String> EXPERIMENT =
      List.of("--dataset", "synthetic", "--agents", "6", "--rounds", "12");

  @TempDir Path dir;

  /**
   * Where the experiment runs: the command line's connection options, and the client settings of
   * the operator, a worker and the clusterer (the same on a plain cluster).
   */
  private record Cluster(
      List<String> options,
      Map<String, Object> operator,
      Map<String, Object> registry,
      Map<String, Object> worker,
      Map<String, Object> clusterer) {}

  @Test
  @ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
  void onAPlainCluster(EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
    forgeriesAreDeadLettersAndChangeNothing(
        new Cluster(
            List.of(
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--schema-registry-url",
                registry.url()),
            kafka,
            Map.of(SchemaRegistryConfig.URL, registry.url()),
            kafka,
            kafka));
  }

  @Test
  void onASecureCluster() throws Exception {
    StackSecurity security = StackSecurity.ensure(dir.resolve("security"), Role.ids(), List.of());
    try (EmbeddedKafkaBroker broker =
            EmbeddedKafkaBroker.start(dir.resolve("kafka"), true, 0, 0, security);
        LocalSchemaRegistry registry =
            LocalSchemaRegistry.start(
                0, dir.resolve("registry.log"), null, false, Duration.ofSeconds(120), security)) {
      Map<String, Path> files =
          security.writeClientConfigs(Role.ids(), broker.bootstrapServers(), registry.url());
      ClientSettings operator = ClientSettings.load(files.get("operator"));
      Cluster cluster =
          new Cluster(
              List.of(
                  "--client-config",
                  files.get("operator").toString(),
                  "--role-configs",
                  security.dir().toString()),
              operator.kafka(),
              operator.registry(),
              ClientSettings.load(files.get("worker")).kafka(),
              ClientSettings.load(files.get("clusterer")).kafka());
      String id = forgeriesAreDeadLettersAndChangeNothing(cluster);

      SecurityChecks.refusesStrangersAndWorkersWritingHierarchies(
          cluster.operator(), cluster.worker(), id);
      // no certificate: the registry refuses the TLS handshake too
      Map<String, Object> noClientCertificate = new HashMap<>(cluster.registry());
      noClientCertificate.keySet().removeIf(k -> k.startsWith("schema.registry.ssl.key"));
      try (SchemaRegistryClient client = SchemaRegistryConfig.clientFor(noClientCertificate)) {
        assertThatThrownBy(client::subjects).isInstanceOf(SchemaRegistryException.class);
      }

      // replay with the operator's credentials gives the recorded metrics back
      Path replayed = dir.resolve("replay");
      List<String> replay =
          new ArrayList<>(List.of("replay", "--experiment", id, "--out", replayed.toString()));
      replay.addAll(cluster.options());
      SimulateCommandTest.Result r = SimulateCommandTest.run(replay.toArray(String[]::new));
      assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
      assertThat(RecordedRuns.metrics(replayed))
          .isEqualTo(RecordedRuns.metrics(dir.resolve("run")));
    }
  }

  /** Runs a signed experiment with two forgeries written while it runs; returns its id. */
  private String forgeriesAreDeadLettersAndChangeNothing(Cluster cluster) throws Exception {
    String id = "signed-" + UUID.randomUUID().toString().substring(0, 8);
    Path out = dir.resolve("run");
    Path keys = dir.resolve("keys");
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--experiment",
                id,
                "--out",
                out.toString(),
                "--stall-timeout",
                "120",
                "--sign",
                "--key-dir",
                keys.toString(),
                // one agent late in every round: the rounds wait for it, so that the keys rotated
                // below are registered ahead of the round they take effect from
                "--slow-agent",
                "agent-005=1"));
    args.addAll(cluster.options());
    args.addAll(EXPERIMENT);
    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(() -> Main.execute(args.toArray(String[]::new), Map.of()));
    RecordedRuns.waitForRound(out, 0, run, Duration.ofSeconds(120));

    String agent;
    int forgedRound;
    try (AvroSerdes serdes = new AvroSerdes(cluster.registry());
        ExperimentLog log = new ExperimentLog(cluster.operator(), id, Duration.ofSeconds(30))) {
      Experiment e = log.experiment(serdes, 1);
      assertThat(e.signed()).isTrue();
      agent = e.agentIds().get(0);
      // a new key for another agent and one for the clusterer, from a round ahead; the worker and
      // the clusterer take them up from their key folder when they reach it
      // (a hierarchy version takes effect a round or two after the updates it clusters)
      Map<String, Integer> rotations = Map.of(e.agentIds().get(1), 8, KeyRing.CLUSTERER, 9);
      rotations.forEach(
          (owner, round) -> {
            SimulateCommandTest.Result rotate = keys("rotate", id, cluster, keys, owner, round);
            assertThat(rotate.exitCode()).as(rotate.out() + rotate.err()).isZero();
            assertThat(rotate.out()).contains("key 2 of " + owner + " signs from round " + round);
          });
      SimulateCommandTest.Result early = keys("rotate", id, cluster, keys, agent, 1);
      assertThat(early.exitCode()).isEqualTo(1);
      assertThat(early.err()).contains("--from-round 1 is too early");
      assertThat(keys.resolve(id).resolve(e.agentIds().get(1) + ".2.key")).exists();

      int written = RecordedRuns.waitForRound(out, 2, run, Duration.ofSeconds(120));
      // ahead of the agents: the forged records come before the real ones of their round
      forgedRound = written + 2;
      assertThat(keys.resolve(id).resolve(agent + ".1.key"))
          .exists()
          .satisfies(
              f ->
                  assertThat(
                          java.nio.file.attribute.PosixFilePermissions.toString(
                              Files.getPosixFilePermissions(f)))
                      .isEqualTo("rw-------"));
      float[] params = new float[e.settings().architecture().dimension()];
      Arrays.fill(params, 0.5f);
      ModelUpdate forged =
          new Signer()
              .add(agent, 0, Ed25519.generate().getPrivate())
              .sign(ModelUpdates.of(e, agent, forgedRound, -1, 10, params, null, 1L));
      try (KafkaProducer<String, ModelUpdate> producer =
          new KafkaProducer<>(
              cluster.worker(),
              new StringSerializer(),
              log.topics().modelUpdates().valueSerde(serdes).serializer())) {
        producer
            .send(new ProducerRecord<>(log.topics().modelUpdates().name(), agent, forged))
            .get();
      }
      // and a well-formed hierarchy version from the next round on, signed with another key
      Dendrogram d =
          new Dendrogram(
              6,
              List.of(
                  new Dendrogram.Merge(0, 5, 1, 2),
                  new Dendrogram.Merge(1, 4, 2, 2),
                  new Dendrogram.Merge(2, 3, 3, 2),
                  new Dendrogram.Merge(6, 7, 4, 4),
                  new Dendrogram.Merge(8, 9, 5, 6)));
      HierarchyAssignment version =
          new Signer()
              .add(KeyRing.CLUSTERER, 0, Ed25519.generate().getPrivate())
              .sign(
                  Hierarchies.toRecord(
                      id,
                      new HierarchyVersion(Hierarchy.fromDendrogram(d, 3), d, 1000, forgedRound),
                      e.agentIds(),
                      e.settings(),
                      2L));
      try (KafkaProducer<String, HierarchyAssignment> producer =
          new KafkaProducer<>(
              cluster.clusterer(),
              new StringSerializer(),
              log.topics().hierarchyAssignments().valueSerde(serdes).serializer())) {
        producer
            .send(
                new ProducerRecord<>(
                    log.topics().hierarchyAssignments().name(),
                    ExperimentTopics.hierarchyKey(1000),
                    version))
            .get();
      }
    }
    assertThat(run.get(300, TimeUnit.SECONDS)).isZero();

    List<DeadLetter> letters = new ArrayList<>();
    try (AvroSerdes serdes = new AvroSerdes(cluster.registry());
        ExperimentLog log = new ExperimentLog(cluster.operator(), id, Duration.ofSeconds(30))) {
      var decoder = log.topics().deadLetters().valueSerde(serdes).deserializer();
      log.read(log.topics().deadLetters(), r -> letters.add(decoder.deserializeOrNull(r)));
    }
    assertThat(letters)
        .extracting(DeadLetter::getReason)
        .containsOnly(DeadLetterReason.BAD_SIGNATURE);
    assertThat(letters)
        .extracting(DeadLetter::getDetail)
        .containsExactlyInAnyOrder(
            "update of "
                + agent
                + " for round "
                + forgedRound
                + " is not signed by the key "
                + agent
                + " has registered for round "
                + forgedRound,
            "hierarchy version 1000 for round "
                + forgedRound
                + " is not signed by the key clusterer has registered for round "
                + forgedRound);

    List<String> auditArgs = new ArrayList<>(List.of("audit", "--experiment", id));
    auditArgs.addAll(cluster.options());
    SimulateCommandTest.Result audit = SimulateCommandTest.run(auditArgs.toArray(String[]::new));
    assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
    assertThat(audit.out())
        .contains("audit passed")
        .containsPattern("signatures: \\d+ verified, 2 refused");
    SimulateCommandTest.Result list = keys("list", id, cluster, keys, null, 0);
    assertThat(list.exitCode()).as(list.out() + list.err()).isZero();
    assertThat(list.out())
        .containsPattern("clusterer\\s+key 2  from round \\d+")
        .contains("9 keys on");

    List<String> simulate =
        new ArrayList<>(List.of("simulate", "--out", dir.resolve("sim").toString()));
    simulate.addAll(EXPERIMENT);
    SimulateCommandTest.Result s = SimulateCommandTest.run(simulate.toArray(String[]::new));
    assertThat(s.exitCode()).as(s.err()).isZero();
    assertThat(RecordedRuns.metrics(out)).isEqualTo(RecordedRuns.metrics(dir.resolve("sim")));
    return id;
  }

  /** {@code keys rotate|list} of the experiment on the cluster. */
  private static SimulateCommandTest.Result keys(
      String command, String id, Cluster cluster, Path keyDir, String owner, int fromRound) {
    List<String> args = new ArrayList<>(List.of("keys", command, "--experiment", id));
    if (owner != null) {
      args.addAll(
          List.of(
              "--owner",
              owner,
              "--from-round",
              Integer.toString(fromRound),
              "--key-dir",
              keyDir.toString()));
    }
    args.addAll(cluster.options());
    return SimulateCommandTest.run(args.toArray(String[]::new));
  }
}
