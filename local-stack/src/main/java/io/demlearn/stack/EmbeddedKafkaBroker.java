package io.demlearn.stack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka 4.4 broker in KRaft mode (combined broker and controller, one node) running in this
 * JVM, on loopback ports. Every internal topic has replication factor 1. Its data lives in one
 * directory: a temporary one deleted on {@link #close()}, or a kept one that a later start reuses
 * (the storage is formatted only once).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  /** The principal that administers a secure broker: creates topics, grants ACLs. */
  public static final String OPERATOR = "operator";

  private final Path dataDir;
  private final boolean deleteOnClose;
  private final int port;
  private final int controllerPort;
  private final StackSecurity security;
  private KafkaRaftServer server;

  private EmbeddedKafkaBroker(
      Path dataDir, boolean deleteOnClose, int port, int controllerPort, StackSecurity security) {
    this.dataDir = dataDir;
    this.deleteOnClose = deleteOnClose;
    this.port = port;
    this.controllerPort = controllerPort;
    this.security = security;
  }

  /** Starts a broker on free ports with a temporary data directory, deleted on close. */
  public static EmbeddedKafkaBroker startTemporary() {
    try {
      Path dir = Files.createTempDirectory("demlearn-kafka-");
      return start(dir, true, 0, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for the broker", e);
    }
  }

  /**
   * Starts a broker whose data lives in {@code dataDir}.
   *
   * @param port client port (0: a free one)
   * @param controllerPort KRaft controller port (0: a free one)
   */
  public static EmbeddedKafkaBroker start(
      Path dataDir, boolean deleteOnClose, int port, int controllerPort) {
    return start(dataDir, deleteOnClose, port, controllerPort, null);
  }

  /**
   * Starts a broker as {@link #start(Path, boolean, int, int)} does; with {@code security}, every
   * listener is mutual TLS and the broker authorizes each request by ACLs ({@link
   * #serverProperties(Path, int, int, StackSecurity)}).
   */
  public static EmbeddedKafkaBroker start(
      Path dataDir, boolean deleteOnClose, int port, int controllerPort, StackSecurity security) {
    int[] ports = Ports.resolve(port, controllerPort);
    EmbeddedKafkaBroker broker =
        new EmbeddedKafkaBroker(dataDir, deleteOnClose, ports[0], ports[1], security);
    broker.startup();
    return broker;
  }

  /** {@code host:port} for clients' {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /**
   * The settings a client of this broker needs besides its address: none, or the TLS settings of a
   * principal of its stack.
   */
  public Map<String, String> clientSettings(String principal) {
    return security == null ? Map.of() : security.clientSettings(principal);
  }

  public int port() {
    return port;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * The configuration of a broker on these ports with its data in {@code dataDir}, as written to
   * {@code server.properties}.
   */
  static Properties serverProperties(Path dataDir, int port, int controllerPort) {
    return serverProperties(dataDir, port, controllerPort, null);
  }

  /**
   * The configuration of a broker; with {@code security}, both listeners are mutual TLS (the
   * broker's certificate, client certificates of the stack's authority required, principal {@code
   * User:<CN>}), the StandardAuthorizer refuses what no ACL allows, and the super users are the
   * broker itself and the operator (who grants the others their ACLs).
   */
  static Properties serverProperties(
      Path dataDir, int port, int controllerPort, StackSecurity security) {
    String protocol = security == null ? "PLAINTEXT" : "SSL";
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put(
        "listeners",
        protocol + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", protocol + "://127.0.0.1:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", protocol);
    p.put("listener.security.protocol.map", protocol + ":" + protocol + ",CONTROLLER:" + protocol);
    if (security != null) {
      p.putAll(security.brokerSettings());
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      p.put("super.users", "User:" + StackSecurity.BROKER + ";User:" + OPERATOR);
    }
    p.put("log.dirs", dataDir.resolve("logs").toString());
    p.put("metadata.log.dir", dataDir.resolve("metadata").toString());
    // a single node: every internal topic has one replica
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // topics are created explicitly, with their settings (TopicAdmin)
    p.put("auto.create.topics.enable", "false");
    p.put("message.max.bytes", Integer.toString(16 * 1024 * 1024));
    p.put("replica.fetch.max.bytes", Integer.toString(16 * 1024 * 1024));
    return p;
  }

  private void startup() {
    long t0 = System.nanoTime();
    Properties props = serverProperties(dataDir, port, controllerPort, security);
    try {
      Files.createDirectories(dataDir);
      Path config = dataDir.resolve("server.properties");
      try (OutputStream out = Files.newOutputStream(config)) {
        props.store(out, "DemLearn local Kafka broker (KRaft, single node)");
      }
      if (!Files.exists(dataDir.resolve("metadata").resolve("meta.properties"))) {
        format(config);
      }
    } catch (IOException e) {
      throw new BrokerStartException(
          "cannot prepare the broker's data directory " + dataDir + ": " + e, e);
    }
    try {
      server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
      server.startup();
    } catch (RuntimeException e) {
      throw new BrokerStartException(
          "the Kafka broker failed to start (ports "
              + port
              + "/"
              + controllerPort
              + ", data "
              + dataDir
              + "): "
              + e,
          e);
    }
    awaitReady(Duration.ofSeconds(60));
    LOG.info(
        "Kafka broker ready at {} in {} ms",
        bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  private void format(Path config) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int rc;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      rc =
          StorageTool.execute(
              new String[] {
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                config.toString(),
                "--ignore-formatted"
              },
              out);
    }
    if (rc != 0) {
      throw new BrokerStartException(
          "formatting the broker's storage in "
              + dataDir
              + " failed (exit "
              + rc
              + "): "
              + captured.toString(StandardCharsets.UTF_8),
          null);
    }
  }

  private void awaitReady(Duration timeout) {
    awaitReady(bootstrapServers(), adminSettings(security), timeout, () -> null);
  }

  /** What an admin client of the broker itself needs besides the address: its TLS settings. */
  static Map<String, String> adminSettings(StackSecurity security) {
    return security == null ? Map.of() : security.clientSettings(StackSecurity.BROKER);
  }

  /**
   * Waits until the broker at {@code bootstrap} lists its nodes.
   *
   * @param deathNotice says why waiting is pointless (the broker's process exited), or null
   * @throws BrokerStartException if it is not ready in time or {@code deathNotice} speaks
   */
  static void awaitReady(
      String bootstrap,
      Map<String, String> client,
      Duration timeout,
      Supplier<String> deathNotice) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // first the port (an admin client would log a warning per refused connection meanwhile)
    int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    while (!Ports.isListening(port) && System.nanoTime() < deadline) {
      String dead = deathNotice.get();
      if (dead != null) {
        throw new BrokerStartException(dead, null);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrokerStartException("interrupted while waiting for the broker", e);
      }
    }
    Map<String, Object> config = new HashMap<>();
    client.forEach(
        (k, v) -> {
          if (!k.startsWith("schema.registry.")) {
            config.put(k, v);
          }
        });
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    Exception last = null;
    try (Admin admin = Admin.create(config)) {
      while (System.nanoTime() < deadline) {
        String dead = deathNotice.get();
        if (dead != null) {
          throw new BrokerStartException(dead, null);
        }
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new BrokerStartException("interrupted while waiting for the broker", e);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new BrokerStartException("interrupted while waiting for the broker", e);
        }
      }
    }
    throw new BrokerStartException(
        "the Kafka broker at "
            + bootstrap
            + " did not become ready within "
            + timeout.toSeconds()
            + " s",
        last);
  }

  /** Stops the broker (a controlled shutdown), and deletes its data if it was temporary. */
  @Override
  public synchronized void close() {
    if (server != null) {
      try {
        server.shutdown();
        server.awaitShutdown();
      } finally {
        server = null;
      }
    }
    if (deleteOnClose) {
      deleteRecursively(dataDir);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  /** The broker could not start; the message says why. */
  public static final class BrokerStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BrokerStartException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
