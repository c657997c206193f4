package io.demlearn.runner;

import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.Ed25519;
import io.demlearn.pipeline.signing.KeyFiles;
import io.demlearn.pipeline.signing.KeyRing;
import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.TopicAdmin;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn keys issue|list}: the Ed25519 keys of an experiment that requires signatures
 * ({@code run --sign}). The operator issues one key pair per agent and one for the clusterer: the
 * public keys go to the experiment's {@code agent-keys} topic, the private keys to files under
 * {@code --key-dir} ({@link KeyFiles}), which the workers and the clusterer are given.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Keys that sign an experiment's updates and hierarchy versions.",
    subcommands = {KeysCommand.Issue.class, KeysCommand.ListKeys.class})
final class KeysCommand {
  /** The default folder of private keys. */
  static Path defaultKeyDir() {
    return DemlearnHome.dir().resolve("keys");
  }

  /**
   * Issues a key per agent and one for the clusterer, in force from round 0: private keys to files,
   * public keys to {@code agent-keys} (created if missing). Returns how many.
   *
   * @throws UserException if the experiment has keys already
   */
  static int issue(Map<String, Object> kafka, AvroSerdes serdes, Experiment e, Path keyDir)
      throws InterruptedException, ExecutionException {
    ExperimentTopics topics = ExperimentTopics.of(e.id());
    try (Admin admin = Admin.create(kafka)) {
      new TopicAdmin(admin, Duration.ofSeconds(60)).ensure(List.of(topics.agentKeys().spec()));
    }
    SchemaSetup.register(List.of(topics.agentKeys()), serdes.registry());
    try (ExperimentLog log = new ExperimentLog(kafka, e.id(), Duration.ofSeconds(30))) {
      int[] found = {0};
      log.read(topics.agentKeys(), r -> found[0]++);
      if (found[0] > 0) {
        throw new UserException(
            "experiment "
                + e.id()
                + " has keys already ("
                + found[0]
                + " on "
                + topics.agentKeys().name()
                + "): see demlearn keys list");
      }
    }
    List<String> owners = new ArrayList<>(e.agentIds());
    owners.add(KeyRing.CLUSTERER);
    long now = System.currentTimeMillis();
    try (KafkaProducer<String, AgentKey> producer =
        new KafkaProducer<>(
            ClientConfigs.producer(kafka, e.id() + "-keys"),
            topics.agentKeys().keySerde().serializer(),
            topics.agentKeys().valueSerde(serdes).serializer())) {
      for (String owner : owners) {
        KeyPair pair = Ed25519.generate();
        KeyFiles.write(keyDir, e.id(), owner, 1, 0, pair.getPrivate());
        producer.send(
            new ProducerRecord<>(
                topics.agentKeys().name(),
                ExperimentTopics.agentKeyKey(owner, 1),
                AgentKey.newBuilder()
                    .setExperimentId(e.id())
                    .setOwnerId(owner)
                    .setKeyId(1)
                    .setEffectiveFromRound(0)
                    .setAlgorithm(Ed25519.ALGORITHM)
                    .setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
                    .setIssuedAtMs(now)
                    .build()));
      }
      producer.flush();
    }
    return owners.size();
  }

  @Command(
      name = "issue",
      mixinStandardHelpOptions = true,
      description =
          "Issue a key pair per agent and for the clusterer of an experiment created with --sign.")
  static final class Issue implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Mixin LogOptions log;

    @Option(
        names = "--key-dir",
        paramLabel = "DIR",
        description = "Where the private keys go (default: .demlearn/keys).")
    Path keyDir;

    @Override
    public Integer call() throws Exception {
      Console console = new Console(System.out);
      try (Connection conn = Connection.openExisting(connection, console, "keys issue");
          AvroSerdes serdes = new AvroSerdes(conn.registryConfig());
          ExperimentLog experimentLog =
              new ExperimentLog(conn.kafkaConfig(), log.experimentId, log.readTimeout())) {
        Experiment e = experimentLog.experiment(serdes, ExperimentDefaults.threads());
        if (!e.signed()) {
          throw new UserException(
              "experiment "
                  + e.id()
                  + " does not require signatures (it was created without"
                  + " --sign): its services would not check them");
        }
        Path dir = keyDir != null ? keyDir : defaultKeyDir();
        int n = issue(conn.kafkaConfig(), serdes, e, dir);
        console.line(
            "issued "
                + n
                + " keys of experiment "
                + e.id()
                + ": public keys on "
                + ExperimentTopics.of(e.id()).agentKeys().name()
                + ", private keys in "
                + dir.resolve(e.id())
                + " (keep them secret; give the workers and the clusterer"
                + " --key-dir "
                + dir
                + ")");
        return 0;
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List an experiment's registered public keys.")
  static final class ListKeys implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Mixin LogOptions log;

    @Override
    public Integer call() throws Exception {
      Console console = new Console(System.out);
      try (Connection conn = Connection.openExisting(connection, console, "keys list");
          AvroSerdes serdes = new AvroSerdes(conn.registryConfig());
          ExperimentLog experimentLog =
              new ExperimentLog(conn.kafkaConfig(), log.experimentId, log.readTimeout())) {
        ExperimentTopics topics = ExperimentTopics.of(log.experimentId);
        var decoder = topics.agentKeys().valueSerde(serdes).deserializer();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        List<String> lines = new ArrayList<>();
        experimentLog.read(
            topics.agentKeys(),
            r -> {
              AgentKey k = decoder.deserializeOrNull(r);
              if (k == null) {
                lines.add("unreadable record at offset " + r.offset());
                return;
              }
              byte[] pk = new byte[k.getPublicKey().remaining()];
              k.getPublicKey().duplicate().get(pk);
              lines.add(
                  String.format(
                      Locale.ROOT,
                      "%-24s key %d  from round %d  %s  SHA-256 %s",
                      k.getOwnerId(),
                      k.getKeyId(),
                      k.getEffectiveFromRound(),
                      k.getAlgorithm(),
                      HexFormat.of().formatHex(sha256.digest(pk), 0, 8)));
            });
        lines.forEach(console::line);
        console.line(lines.size() + " keys on " + topics.agentKeys().name());
        return 0;
      }
    }
  }
}
