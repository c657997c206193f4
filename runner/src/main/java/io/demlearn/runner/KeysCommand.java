package io.demlearn.runner;

import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.Ed25519;
import io.demlearn.pipeline.signing.KeyFiles;
import io.demlearn.pipeline.signing.KeyRing;
import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.serde.WireFormat;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.Topic;
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
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn keys issue|rotate|list}: the Ed25519 keys of an experiment that requires
 * signatures ({@code run --sign}). The operator issues one key pair per agent and one for the
 * clusterer: the public keys go to the experiment's {@code agent-keys} topic, the private keys to
 * files under {@code --key-dir} ({@link KeyFiles}), which the workers and the clusterer are given.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Keys that sign an experiment's updates and hierarchy versions.",
    subcommands = {KeysCommand.Issue.class, KeysCommand.Rotate.class, KeysCommand.ListKeys.class})
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
    try (KafkaProducer<String, AgentKey> producer = keysProducer(kafka, serdes, e)) {
      for (String owner : owners) {
        issueKey(producer, keyDir, e, owner, 1, 0);
      }
      producer.flush();
    }
    return owners.size();
  }

  /** A producer of an experiment's public keys (close it when done). */
  private static KafkaProducer<String, AgentKey> keysProducer(
      Map<String, Object> kafka, AvroSerdes serdes, Experiment e) {
    Topic<AgentKey> topic = ExperimentTopics.of(e.id()).agentKeys();
    return new KafkaProducer<>(
        ClientConfigs.producer(kafka, e.id() + "-keys"),
        topic.keySerde().serializer(),
        topic.valueSerde(serdes).serializer());
  }

  /**
   * Makes a key pair for {@code owner}: the private key to its file under {@code keyDir}, the
   * public key sent to {@code agent-keys}, in force from {@code fromRound}.
   *
   * @return the private key's file and the send's outcome
   */
  private static Map.Entry<Path, Future<RecordMetadata>> issueKey(
      KafkaProducer<String, AgentKey> producer,
      Path keyDir,
      Experiment e,
      String owner,
      int keyId,
      int fromRound) {
    KeyPair pair = Ed25519.generate();
    Path file = KeyFiles.write(keyDir, e.id(), owner, keyId, fromRound, pair.getPrivate());
    Future<RecordMetadata> sent =
        producer.send(
            new ProducerRecord<>(
                ExperimentTopics.of(e.id()).agentKeys().name(),
                ExperimentTopics.agentKeyKey(owner, keyId),
                AgentKey.newBuilder()
                    .setExperimentId(e.id())
                    .setOwnerId(owner)
                    .setKeyId(keyId)
                    .setEffectiveFromRound(fromRound)
                    .setAlgorithm(Ed25519.ALGORITHM)
                    .setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
                    .setIssuedAtMs(System.currentTimeMillis())
                    .build()));
    return Map.entry(file, sent);
  }

  /** The experiment of the log, which must require signatures ({@code what}: the command). */
  private static Experiment signedExperiment(ExperimentLog log, AvroSerdes serdes, String what) {
    Experiment e = log.experiment(serdes, ExperimentDefaults.threads());
    if (!e.signed()) {
      throw new UserException(
          what
              + ": experiment "
              + e.id()
              + " does not require signatures (it was created without --sign): it has no keys"
              + " and its services would not check them");
    }
    return e;
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
        Experiment e = signedExperiment(experimentLog, serdes, "keys issue");
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

  /** How many rounds ahead of the latest written a rotation must take effect. */
  static final int ROTATE_AHEAD = 2;

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description =
          "Give an agent (or the clusterer) a new key pair in force from a round on: the private"
              + " key to --key-dir, the public key to agent-keys. The services holding the owner's"
              + " keys read it from their --key-dir when they reach that round.")
  static final class Rotate implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Mixin LogOptions log;

    @Option(
        names = "--owner",
        required = true,
        paramLabel = "ID",
        description = "An agent id, or 'clusterer'.")
    String owner;

    @Option(
        names = "--from-round",
        required = true,
        paramLabel = "R",
        description =
            "The first round the new key signs; at least "
                + ROTATE_AHEAD
                + " rounds past the latest round with an update written (for the clusterer: the"
                + " first round of the latest hierarchy version), so that no record of that round"
                + " is signed yet.")
    int fromRound;

    @Option(
        names = "--key-dir",
        paramLabel = "DIR",
        description = "The folder of the experiment's private keys (default: .demlearn/keys).")
    Path keyDir;

    @Override
    public Integer call() throws Exception {
      Console console = new Console(System.out);
      try (Connection conn = Connection.openExisting(connection, console, "keys rotate");
          AvroSerdes serdes = new AvroSerdes(conn.registryConfig());
          ExperimentLog experimentLog =
              new ExperimentLog(conn.kafkaConfig(), log.experimentId, log.readTimeout())) {
        Experiment e = signedExperiment(experimentLog, serdes, "keys rotate");
        if (!owner.equals(KeyRing.CLUSTERER) && !e.agentIds().contains(owner)) {
          throw new UserException(
              "--owner "
                  + owner
                  + ": experiment "
                  + e.id()
                  + " has no such agent (its agents: "
                  + e.agentIds().get(0)
                  + " ... "
                  + e.agentIds().get(e.agentIds().size() - 1)
                  + "; or 'clusterer')");
        }
        ExperimentTopics topics = experimentLog.topics();
        var keys = topics.agentKeys().valueSerde(serdes).deserializer();
        int[] last = {0, -1}; // the owner's latest key id and its first round
        experimentLog.read(
            topics.agentKeys(),
            r -> {
              AgentKey k = keys.deserializeOrNull(r);
              if (k != null && owner.equals(k.getOwnerId()) && k.getKeyId() > last[0]) {
                last[0] = k.getKeyId();
                last[1] = k.getEffectiveFromRound();
              }
            });
        if (last[0] == 0) {
          throw new UserException(
              owner + " has no key in experiment " + e.id() + " (see demlearn keys list)");
        }
        int latest = latestSignedRound(experimentLog, serdes, owner.equals(KeyRing.CLUSTERER));
        int earliest = Math.max(last[1] + 1, latest + ROTATE_AHEAD);
        if (fromRound < earliest) {
          throw new UserException(
              "--from-round "
                  + fromRound
                  + " is too early: "
                  + (latest >= 0
                      ? "round "
                          + latest
                          + (owner.equals(KeyRing.CLUSTERER)
                              ? " has a hierarchy version already, "
                              : " has updates already, ")
                      : "")
                  + owner
                  + "'s key "
                  + last[0]
                  + " takes effect from round "
                  + last[1]
                  + "; rotate from round "
                  + earliest
                  + " or later");
        }
        Path dir = keyDir != null ? keyDir : defaultKeyDir();
        int keyId = last[0] + 1;
        Path file;
        try (KafkaProducer<String, AgentKey> producer =
            keysProducer(conn.kafkaConfig(), serdes, e)) {
          var issued = issueKey(producer, dir, e, owner, keyId, fromRound);
          issued.getValue().get();
          file = issued.getKey();
        }
        console.line(
            "key "
                + keyId
                + " of "
                + owner
                + " signs from round "
                + fromRound
                + ": private key "
                + file
                + " (the service holding "
                + owner
                + "'s keys must see it in its --key-dir), public key on "
                + topics.agentKeys().name());
        return 0;
      }
    }

    /**
     * The latest round of a written update (or, for the clusterer, of a hierarchy version's first
     * round); -1 if there is none.
     */
    private static int latestSignedRound(ExperimentLog log, AvroSerdes serdes, boolean clusterer) {
      int[] latest = {-1};
      if (!clusterer) {
        log.readLast(
            log.topics().modelUpdates(),
            r -> latest[0] = Math.max(latest[0], WireFormat.round(r.value())));
        return latest[0];
      }
      var versions = log.topics().hierarchyAssignments().valueSerde(serdes).deserializer();
      log.readLast(
          log.topics().hierarchyAssignments(),
          r -> {
            HierarchyAssignment h = versions.deserializeOrNull(r);
            if (h != null) {
              latest[0] = Math.max(latest[0], h.getEffectiveFromRound());
            }
          });
      return latest[0];
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
