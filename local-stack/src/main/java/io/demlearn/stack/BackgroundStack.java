package io.demlearn.stack;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * A local broker and schema registry as background processes that outlive the command that started
 * them ({@code demlearn stack start|stop|status}). Everything lives under one directory: {@code
 * stack.properties} (addresses and ports), pid files, logs, the broker's data and the registry's
 * schemas. Stopping keeps the data, so a later start serves the same topics and schema ids; {@link
 * #deleteData()} removes it.
 */
public final class BackgroundStack {
  public static final int DEFAULT_KAFKA_PORT = 9092;
  public static final int DEFAULT_REGISTRY_PORT = 8081;
  private static final String BROKER_MARKER = BrokerMain.class.getName();

  private final Path dir;

  /** State of the stack: what runs, where. */
  public record Status(
      Optional<Long> brokerPid,
      Optional<Long> registryPid,
      boolean brokerReady,
      boolean registryReady,
      String bootstrapServers,
      String schemaRegistryUrl,
      Optional<StackSecurity> security) {
    public boolean running() {
      return brokerPid.isPresent() && registryPid.isPresent() && brokerReady && registryReady;
    }

    public boolean stopped() {
      return brokerPid.isEmpty() && registryPid.isEmpty();
    }
  }

  public BackgroundStack(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() {
    return dir;
  }

  /**
   * Starts what is not running and waits until both parts are ready.
   *
   * @param kafkaPort broker port, or null for the one used last time (else 9092); 0 for a free one
   * @param registryPort registry port, or null for the one used last time (else 8081); 0 for a free
   *     one
   * @param secureRoles the client roles of a secure stack (mutual TLS, ACLs; {@link
   *     StackSecurity}), or empty: secure if it was so last time, else not
   */
  public Status start(
      Integer kafkaPort,
      Integer registryPort,
      List<String> secureRoles,
      Duration timeout,
      Consumer<String> progress) {
    Status before = status();
    if (before.running()) {
      if (!secureRoles.isEmpty() && before.security().isEmpty()) {
        throw new IllegalStateException(
            "the stack in "
                + dir
                + " already runs without security; stop it (demlearn stack stop) and start it"
                + " again with --secure");
      }
      progress.accept("already running");
      return before;
    }
    Properties saved = loadProperties();
    StackSecurity security = null;
    List<String> roles = secureRoles;
    if (roles.isEmpty() && saved.getProperty("security.roles") != null) {
      roles = List.of(saved.getProperty("security.roles").split(","));
      progress.accept("secure, as it was when last started");
    }
    if (!roles.isEmpty()) {
      progress.accept("certificates and client configs in " + dir.resolve("security"));
      security = StackSecurity.ensure(dir.resolve("security"), roles, List.of("kafka", "registry"));
    }
    int[] ports =
        Ports.resolve(
            choose(kafkaPort, saved, "kafka.port", DEFAULT_KAFKA_PORT),
            choose(registryPort, saved, "registry.port", DEFAULT_REGISTRY_PORT),
            choose(null, saved, "kafka.controller.port", 0));
    int kPort = ports[0];
    int rPort = ports[1];
    int cPort = ports[2];
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the stack directory " + dir, e);
    }

    Process broker = null;
    if (before.brokerPid().isEmpty()) {
      requireFree(kPort, "Kafka", "--kafka-port");
      requireFree(cPort, "Kafka controller", "--kafka-port");
      progress.accept(
          "starting Kafka broker on 127.0.0.1:"
              + kPort
              + " (log: "
              + dir.resolve("kafka.log")
              + ")");
      List<String> command =
          new ArrayList<>(
              List.of(
                  JavaProcesses.javaExecutable(),
                  "-Xmx1g",
                  "-cp",
                  brokerClassPath(),
                  BROKER_MARKER,
                  "--data",
                  dir.resolve("kafka").toString(),
                  "--port",
                  Integer.toString(kPort),
                  "--controller-port",
                  Integer.toString(cPort)));
      if (security != null) {
        command.addAll(List.of("--security", security.dir().toString()));
      }
      try {
        broker = JavaProcesses.start(command, Map.of(), dir.resolve("kafka.log"), true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the Kafka broker process", e);
      }
      writePid("kafka.pid", broker.pid());
    }
    Properties props = new Properties();
    props.setProperty("kafka.port", Integer.toString(kPort));
    props.setProperty("kafka.controller.port", Integer.toString(cPort));
    props.setProperty("registry.port", Integer.toString(rPort));
    props.setProperty("bootstrap.servers", "127.0.0.1:" + kPort);
    props.setProperty(
        "schema.registry.url",
        LocalSchemaRegistry.rootUrl(rPort, security != null) + LocalSchemaRegistry.CCOMPAT_PATH);
    if (security != null) {
      props.setProperty("security", security.dir().toString());
      props.setProperty("security.roles", String.join(",", roles));
      security.writeClientConfigs(
          roles, props.getProperty("bootstrap.servers"), props.getProperty("schema.registry.url"));
    }
    storeProperties(props);
    try {
      if (before.registryPid().isEmpty()) {
        requireFree(rPort, "schema registry", "--registry-port");
        progress.accept(
            "starting schema registry on 127.0.0.1:"
                + rPort
                + " (log: "
                + dir.resolve("registry.log")
                + ")");
        LocalSchemaRegistry registry =
            LocalSchemaRegistry.start(
                rPort,
                dir.resolve("registry.log"),
                dir.resolve("registry"),
                true,
                timeout,
                security);
        writePid("registry.pid", registry.pid());
      }
      awaitBroker(broker, "127.0.0.1:" + kPort, security, timeout);
    } catch (RuntimeException e) {
      progress.accept("start failed; stopping what was started");
      stop(s -> {});
      throw e;
    }
    return status();
  }

  /** Native libraries on the command line's class path that a broker does not use. */
  private static final Pattern NOT_FOR_THE_BROKER =
      Pattern.compile("^(nd4j-native|openblas|javacpp|rocksdbjni|mkl)");

  /**
   * The broker's class path: copies, in the stack's {@code lib} folder, of the jars on this JVM's
   * class path and those their manifests name ({@link JavaProcesses#ownCopy}: a rebuild must not
   * rewrite the jars a running broker loads classes from). Folders (a development build) are used
   * as they are.
   */
  private String brokerClassPath() {
    Path lib = dir.resolve("lib");
    List<String> out = new ArrayList<>();
    Set<String> copied = new HashSet<>();
    try {
      Files.createDirectories(lib);
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path path = Path.of(entry).toAbsolutePath();
        if (!Files.isRegularFile(path)) {
          out.add(entry);
          continue;
        }
        List<Path> jars = new ArrayList<>(List.of(path));
        try (JarFile jar = new JarFile(path.toFile())) {
          var manifest = jar.getManifest();
          String named =
              manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
          if (named != null) {
            for (String relative : named.trim().split("\\s+")) {
              Path p = path.getParent().resolve(relative);
              if (Files.isRegularFile(p)) {
                jars.add(p);
              }
            }
          }
        }
        for (Path jar : jars) {
          if (!NOT_FOR_THE_BROKER.matcher(jar.getFileName().toString()).find()) {
            copied.add(
                JavaProcesses.ownCopy(jar, lib, jar.getFileName().toString())
                    .getFileName()
                    .toString());
          }
        }
      }
      // jars of an earlier build must not join the class path: the broker gets the folder's every
      // jar
      try (var old = Files.list(lib)) {
        for (Path p : old.filter(p -> !copied.contains(p.getFileName().toString())).toList()) {
          Files.delete(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the broker's jars to " + lib, e);
    }
    // a wildcard keeps the command line short: the process is recognised by the main class in it
    out.add(lib.resolve("*").toString());
    return String.join(File.pathSeparator, out);
  }

  /** What runs now. Stale pid files (their process is gone) are removed. */
  public Status status() {
    Properties props = loadProperties();
    Optional<Long> brokerPid = livePid("kafka.pid", BROKER_MARKER);
    Optional<Long> registryPid = livePid("registry.pid", LocalSchemaRegistry.MARKER);
    String bootstrap = props.getProperty("bootstrap.servers");
    String url = props.getProperty("schema.registry.url");
    Optional<StackSecurity> security =
        Optional.ofNullable(props.getProperty("security"))
            .map(Path::of)
            .filter(Files::isDirectory)
            .map(StackSecurity::open);
    boolean brokerReady =
        brokerPid.isPresent()
            && bootstrap != null
            && Ports.isListening(Integer.parseInt(props.getProperty("kafka.port")));
    boolean registryReady =
        registryPid.isPresent()
            && url != null
            && LocalSchemaRegistry.isReady(
                LocalSchemaRegistry.rootUrl(
                    Integer.parseInt(props.getProperty("registry.port")), security.isPresent()),
                security.orElse(null));
    return new Status(brokerPid, registryPid, brokerReady, registryReady, bootstrap, url, security);
  }

  /** Stops both parts (SIGTERM, then SIGKILL after 30 s); keeps their data. */
  public void stop(Consumer<String> progress) {
    stopOne("registry.pid", LocalSchemaRegistry.MARKER, "schema registry", progress);
    stopOne("kafka.pid", BROKER_MARKER, "Kafka broker", progress);
  }

  /**
   * Deletes the broker's data, the registry's schemas and a secure stack's certificates (the stack
   * must be stopped); the next start is plain unless asked to be secure.
   */
  public void deleteData() {
    if (!status().stopped()) {
      throw new IllegalStateException("stop the stack before deleting its data in " + dir);
    }
    EmbeddedKafkaBroker.deleteRecursively(dir.resolve("kafka"));
    EmbeddedKafkaBroker.deleteRecursively(dir.resolve("registry"));
    EmbeddedKafkaBroker.deleteRecursively(dir.resolve("security"));
    Properties props = loadProperties();
    if (props.remove("security") != null) {
      props.remove("security.roles");
      storeProperties(props);
    }
  }

  private void stopOne(String pidFile, String marker, String name, Consumer<String> progress) {
    Optional<Long> pid = livePid(pidFile, marker);
    if (pid.isPresent()) {
      progress.accept("stopping " + name + " (pid " + pid.get() + ")");
      boolean stopped =
          ProcessHandle.of(pid.get()).map(h -> JavaProcesses.stop(h, 30)).orElse(true);
      if (!stopped) {
        throw new IllegalStateException("could not stop " + name + " (pid " + pid.get() + ")");
      }
    } else {
      progress.accept(name + " is not running");
    }
    try {
      Files.deleteIfExists(dir.resolve(pidFile));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitBroker(
      Process broker, String bootstrap, StackSecurity security, Duration timeout) {
    Path log = dir.resolve("kafka.log");
    try {
      EmbeddedKafkaBroker.awaitReady(
          bootstrap,
          EmbeddedKafkaBroker.adminSettings(security),
          timeout,
          () ->
              broker != null && !broker.isAlive()
                  ? "the Kafka broker exited with code " + broker.exitValue() + " while starting"
                  : null);
    } catch (EmbeddedKafkaBroker.BrokerStartException e) {
      throw new IllegalStateException(
          e.getMessage() + "; its log (" + log + ") ends with:\n" + JavaProcesses.tail(log, 30), e);
    }
  }

  private static int choose(Integer requested, Properties saved, String key, int fallback) {
    if (requested != null) {
      return requested;
    }
    String previous = saved.getProperty(key);
    return previous != null ? Integer.parseInt(previous) : fallback;
  }

  private static void requireFree(int port, String what, String option) {
    if (Ports.isListening(port)) {
      throw new IllegalStateException(
          "port "
              + port
              + " for the "
              + what
              + " is already in use; choose another with "
              + option
              + " (0 picks a free port)");
    }
  }

  private Optional<Long> livePid(String pidFile, String marker) {
    Path file = dir.resolve(pidFile);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      long pid = Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
      Optional<ProcessHandle> handle = JavaProcesses.find(pid, marker);
      if (handle.isEmpty()) {
        Files.deleteIfExists(file); // stale: the process is gone
      }
      return handle.map(ProcessHandle::pid);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private void writePid(String pidFile, long pid) {
    try {
      Files.writeString(dir.resolve(pidFile), Long.toString(pid), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Properties loadProperties() {
    Properties props = new Properties();
    Path file = dir.resolve("stack.properties");
    if (Files.exists(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        props.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    return props;
  }

  private void storeProperties(Properties props) {
    try (OutputStream out = Files.newOutputStream(dir.resolve("stack.properties"))) {
      props.store(out, "DemLearn local stack: addresses of the background broker and registry");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
