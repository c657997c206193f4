package io.demlearn.runner;

import io.demlearn.pipeline.clients.ClientSettings;
import io.demlearn.schemas.registry.SchemaRegistryClient;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.registry.SchemaRegistryException;
import io.demlearn.schemas.security.Role;
import io.demlearn.stack.BackgroundStack;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.stack.StackSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The Kafka cluster and schema registry a command works with: the ones given, else the background
 * stack ({@code demlearn stack start}) if it runs, else a local broker (in this JVM) and a local
 * registry (a child process) started for the command and stopped at {@link #close()}. The two local
 * parts start concurrently.
 */
final class Connection implements AutoCloseable {
  private final Map<String, Object> kafka;
  private final Map<String, Object> registry;
  private final ConfigFiles configFiles;
  private final EmbeddedKafkaBroker localBroker;
  private final LocalSchemaRegistry localRegistry;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread shutdownHook;
  private Duration connectTimeout = Duration.ofSeconds(30);
  private int brokers;

  private Connection(
      Map<String, Object> kafka,
      Map<String, Object> registry,
      ConfigFiles configFiles,
      EmbeddedKafkaBroker localBroker,
      LocalSchemaRegistry localRegistry) {
    this.kafka = kafka;
    this.registry = registry;
    this.configFiles = configFiles;
    this.localBroker = localBroker;
    this.localRegistry = localRegistry;
    // SIGTERM or Ctrl-C: stop the local parts too, so that no registry process is left behind
    this.shutdownHook = new Thread(this::stopLocalParts, "demlearn-local-stack-shutdown");
    if (localBroker != null || localRegistry != null) {
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
  }

  static Connection open(ConnectionOptions options, Console console) {
    ClientSettings settings = options.clientSettings();
    Map<String, Object> kafka = settings.kafka(); // a copy, to fill in
    Map<String, Object> registry = settings.registry();
    boolean needBroker = !kafka.containsKey("bootstrap.servers");
    boolean needRegistry = !registry.containsKey(SchemaRegistryConfig.URL);
    ConfigFiles files = options.configFiles();
    ConfigFiles stack =
        needBroker && needRegistry ? useBackgroundStack(kafka, registry, files, console) : null;
    if (stack != null) {
      int brokers =
          checkReachable(kafka, Duration.ofSeconds(options.connectTimeoutSeconds), console);
      checkRegistry(registry, Duration.ofSeconds(options.connectTimeoutSeconds), console);
      return new Connection(kafka, registry, stack, null, null)
          .known(options.connectTimeoutSeconds, brokers);
    }
    if (needBroker || needRegistry) {
      console.step(
          "starting local "
              + (needBroker ? "Kafka broker (KRaft, in this process)" : "")
              + (needBroker && needRegistry ? " and " : "")
              + (needRegistry ? "schema registry (Apicurio 2.4.2, child process)" : "")
              + " ...");
    }
    Path logs = DemlearnHome.dir().resolve("logs");
    Console.Stopwatch sw = new Console.Stopwatch();
    CompletableFuture<LocalSchemaRegistry> registryStart =
        needRegistry
            ? CompletableFuture.supplyAsync(
                () ->
                    LocalSchemaRegistry.start(
                        0,
                        logs.resolve("registry-" + ProcessHandle.current().pid() + ".log"),
                        null,
                        false,
                        Duration.ofSeconds(120)))
            : CompletableFuture.completedFuture(null);
    EmbeddedKafkaBroker broker = null;
    LocalSchemaRegistry localRegistry = null;
    try {
      if (needBroker) {
        broker = EmbeddedKafkaBroker.startTemporary();
        kafka.put("bootstrap.servers", broker.bootstrapServers());
        console.step("Kafka broker ready at " + broker.bootstrapServers() + " (" + sw.text() + ")");
      }
      localRegistry = registryStart.join();
      if (localRegistry != null) {
        registry.put(SchemaRegistryConfig.URL, localRegistry.url());
        console.step("schema registry ready at " + localRegistry.url() + " (" + sw.text() + ")");
      }
    } catch (RuntimeException e) {
      if (broker != null) {
        broker.close();
      }
      registryStart.thenAccept(
          r -> {
            if (r != null) {
              r.close();
            }
          });
      throw e instanceof CompletionException && e.getCause() instanceof RuntimeException cause
          ? cause
          : e;
    }
    int brokers =
        needBroker
            ? 1
            : checkReachable(kafka, Duration.ofSeconds(options.connectTimeoutSeconds), console);
    if (!needRegistry) {
      checkRegistry(registry, Duration.ofSeconds(options.connectTimeoutSeconds), console);
    }
    return new Connection(kafka, registry, files, broker, localRegistry)
        .known(options.connectTimeoutSeconds, brokers);
  }

  /**
   * The cluster and registry an experiment already lives on: the ones given, else the background
   * stack ({@code demlearn stack start}) if it runs. Never starts a broker: a new one holds no
   * experiment.
   */
  static Connection openExisting(ConnectionOptions options, Console console, String command) {
    ClientSettings settings = options.clientSettings();
    Map<String, Object> kafka = settings.kafka(); // a copy, to fill in
    Map<String, Object> registry = settings.registry();
    ConfigFiles files = options.configFiles();
    if (!kafka.containsKey("bootstrap.servers")
        || !registry.containsKey(SchemaRegistryConfig.URL)) {
      files = useBackgroundStack(kafka, registry, files, console);
    }
    if (files == null) {
      throw new UserException(
          command
              + " reads an experiment from the cluster that ran it: give --bootstrap-servers and"
              + " --schema-registry-url, or start the local stack that ran it (demlearn stack"
              + " start); a run without them and without a running stack used a temporary broker"
              + " whose log is gone");
    }
    int brokers = checkReachable(kafka, Duration.ofSeconds(options.connectTimeoutSeconds), console);
    checkRegistry(registry, Duration.ofSeconds(options.connectTimeoutSeconds), console);
    return new Connection(kafka, registry, files, null, null)
        .known(options.connectTimeoutSeconds, brokers);
  }

  /** What opening found: the connect timeout, and the brokers the cluster answered with. */
  private Connection known(int timeoutSeconds, int brokers) {
    this.connectTimeout = Duration.ofSeconds(timeoutSeconds);
    this.brokers = brokers;
    return this;
  }

  /**
   * Fills in the missing addresses from the background stack, if it runs; a secure stack's client
   * configs too: the operator's for this command (unless one is given), each role's for the
   * services it starts (unless given).
   *
   * @return the client-config files to use, or null if the stack does not run
   */
  private static ConfigFiles useBackgroundStack(
      Map<String, Object> kafka, Map<String, Object> registry, ConfigFiles given, Console console) {
    BackgroundStack.Status stack =
        new BackgroundStack(DemlearnHome.dir().resolve("stack")).status();
    if (!stack.running()) {
      return null;
    }
    kafka.putIfAbsent("bootstrap.servers", stack.bootstrapServers());
    registry.putIfAbsent(SchemaRegistryConfig.URL, stack.schemaRegistryUrl());
    ConfigFiles files = given;
    if (stack.security().isPresent()) {
      StackSecurity security = stack.security().get();
      Path own = given.own();
      if (own == null) {
        own = security.clientConfig(Role.OPERATOR.id());
        ClientSettings operator = ClientSettings.load(own);
        operator.kafka().forEach(kafka::putIfAbsent);
        operator.registry().forEach(registry::putIfAbsent);
      }
      Map<Role, Path> roles = new EnumMap<>(Role.class);
      for (Role role : Role.values()) {
        roles.put(role, security.clientConfig(role.id()));
      }
      roles.putAll(given.roles());
      files = new ConfigFiles(own, roles);
    }
    console.step(
        "using the local stack (demlearn stack start): "
            + kafka.get("bootstrap.servers")
            + ", "
            + registry.get(SchemaRegistryConfig.URL)
            + (stack.security().isPresent()
                ? "; secure, as " + ConfigFiles.roleOf(files.own())
                : ""));
    return files;
  }

  /** Asks the cluster for its brokers; returns how many answered. */
  private static int checkReachable(Map<String, Object> kafka, Duration timeout, Console console) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    config.put(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
    try (Admin admin = Admin.create(config)) {
      int nodes =
          admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
      console.step(
          "Kafka cluster at "
              + kafka.get("bootstrap.servers")
              + " answers ("
              + nodes
              + " broker"
              + (nodes == 1 ? "" : "s")
              + ")");
      return nodes;
    } catch (TimeoutException | ExecutionException e) {
      throw new UserException(
          "cannot reach the Kafka cluster at "
              + kafka.get("bootstrap.servers")
              + " within "
              + timeout.toSeconds()
              + " s (check --bootstrap-servers and --client-config)"
              + (e instanceof ExecutionException ? ": " + e.getCause().getMessage() : ""),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while connecting to Kafka", e);
    }
  }

  /**
   * The number of brokers in the cluster: as it answered when opened, or, if that is fewer than
   * {@code wanted}, counted again until there are that many or the connect timeout has passed
   * (brokers of a cluster that has just started register one by one).
   *
   * @return the brokers counted last: fewer than {@code wanted} when the wait ran out
   */
  int awaitBrokers(int wanted) {
    if (brokers >= wanted) {
      return brokers;
    }
    long deadline = System.nanoTime() + connectTimeout.toNanos();
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) connectTimeout.toMillis());
    config.put(
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
        (int) Math.min(connectTimeout.toMillis(), 30_000));
    try (Admin admin = Admin.create(config)) {
      while (true) {
        int nodes =
            admin
                .describeCluster()
                .nodes()
                .get(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .size();
        if (nodes >= wanted || System.nanoTime() > deadline) {
          brokers = nodes;
          return nodes;
        }
        Thread.sleep(500);
      }
    } catch (TimeoutException | ExecutionException e) {
      throw new UserException(
          "cannot count the brokers of the Kafka cluster at "
              + bootstrapServers()
              + (e instanceof ExecutionException ? ": " + e.getCause().getMessage() : ""),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while counting the brokers", e);
    }
  }

  /**
   * Asks the schema registry for its subjects, so that one that does not answer is named before
   * anything is created on the cluster.
   */
  private static void checkRegistry(
      Map<String, Object> registry, Duration timeout, Console console) {
    Map<String, Object> config = new HashMap<>(registry);
    config.put(SchemaRegistryConfig.REQUEST_TIMEOUT_MS, Long.toString(timeout.toMillis()));
    try (SchemaRegistryClient client = SchemaRegistryConfig.clientFor(config)) {
      int subjects = client.subjects().size();
      console.step(
          "schema registry at "
              + registry.get(SchemaRegistryConfig.URL)
              + " answers ("
              + subjects
              + " subject"
              + (subjects == 1 ? "" : "s")
              + ")");
    } catch (SchemaRegistryException | IllegalArgumentException e) {
      throw new UserException(
          "the schema registry at "
              + registry.get(SchemaRegistryConfig.URL)
              + " does not answer (check --schema-registry-url and --client-config): "
              + e.getMessage(),
          e);
    }
  }

  /** Settings every Kafka client gets (bootstrap servers and the client-config file). */
  Map<String, Object> kafkaConfig() {
    return new HashMap<>(kafka);
  }

  /**
   * Settings of the Kafka clients of a service in this process: those of its role's client-config
   * file if one is known, else this command's own.
   */
  Map<String, Object> kafkaConfig(Role role) {
    Path file = configFiles.roles().get(role);
    if (file == null) {
      return kafkaConfig();
    }
    Map<String, Object> c = ClientSettings.load(file).kafka();
    c.put("bootstrap.servers", kafka.get("bootstrap.servers"));
    return c;
  }

  /** Settings of the schema registry client. */
  Map<String, Object> registryConfig() {
    return new HashMap<>(registry);
  }

  /**
   * Whether the Kafka clients encrypt (security.protocol SSL or SASL_SSL): then the JDK's AES-GCM
   * must run under the C2 compiler, which uses the processor's instructions (40 times faster here:
   * bench/cipher_speed.sh).
   */
  boolean overTls() {
    Object protocol = kafka.get("security.protocol");
    return protocol != null
        && protocol.toString().trim().toUpperCase(java.util.Locale.ROOT).endsWith("SSL");
  }

  String bootstrapServers() {
    return kafka.get("bootstrap.servers").toString();
  }

  String registryUrl() {
    return registry.get(SchemaRegistryConfig.URL).toString();
  }

  /** The client-config file of a service of {@code role} (security settings), or null. */
  Path clientConfigFile(Role role) {
    return configFiles.of(role);
  }

  boolean startedLocalParts() {
    return localBroker != null || localRegistry != null;
  }

  @Override
  public void close() {
    if (localBroker != null || localRegistry != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
    stopLocalParts();
  }

  private void stopLocalParts() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (localBroker != null) {
        localBroker.close();
      }
    } finally {
      if (localRegistry != null) {
        localRegistry.close();
      }
    }
  }
}
