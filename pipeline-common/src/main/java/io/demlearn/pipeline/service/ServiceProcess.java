package io.demlearn.pipeline.service;

import io.demlearn.pipeline.clients.ClientSettings;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.KeyFiles;
import io.demlearn.pipeline.signing.Signer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.TopicAdmin;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;

/**
 * What every service process starts from: its command line ({@code --experiment ID
 * --bootstrap-servers HOST:PORT --schema-registry-url URL [--client-config FILE] [--spec-wait
 * SECONDS]} and the service's own options; with {@code --parent-pid} it stops when that process
 * ends), the experiment as its spec on the {@code experiments} topic describes it, the experiment's
 * topics as they exist, and a SIGTERM hook that closes the service cleanly.
 *
 * <p>It never ends the process itself: a service's {@code main} calls {@link #launch}, which
 * returns the exit code for {@code main} to exit with: 0 after a clean stop, 1 when the service
 * failed or cannot start (the problem printed), 2 for a wrong command line (with the usage).
 */
public final class ServiceProcess {
  private static final List<String> REQUIRED = List.of("experiment");

  /** Optional when the client-config file holds the addresses. */
  private static final List<String> OPTIONAL =
      List.of(
          "bootstrap-servers",
          "schema-registry-url",
          "client-config",
          "parent-pid",
          "spec-wait",
          "metrics-port",
          "key-dir");

  /** How long a service waits for its experiment's spec to appear, unless told. */
  private static final int SPEC_WAIT_SECONDS = 60;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private final String name;
  private final String usage;
  private final Map<String, String> options;
  private ClientSettings clients;
  private String metricsHost;
  private int metricsPort = -1;
  private MetricsEndpoint endpoint;
  private MeterRegistry meters;
  private volatile boolean parentGone;
  private volatile LoopService running;

  /** The thread that parses the command line and starts the service. */
  private final Thread starter = Thread.currentThread();

  private ServiceProcess(String name, String usage, Map<String, String> options) {
    this.name = name;
    this.usage = usage;
    this.options = options;
  }

  /** The service cannot run: why, and the exit code to end the process with. */
  public static final class StartFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    StartFailure(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  /**
   * Parses a service's command line and runs {@code body} with it; returns the exit code for the
   * service's {@code main} to exit with.
   *
   * @param mainClass the main class's simple name, for the usage line
   * @param own the service's own options ({@code --name VALUE}), with their usage text
   * @param body starts the service (usually ending with {@link #runUntilStopped}) and returns the
   *     exit code
   */
  public static int launch(
      String mainClass,
      String[] args,
      Map<String, String> own,
      ToIntFunction<ServiceProcess> body) {
    ServiceProcess p = null;
    try {
      p = parse(mainClass, args, own);
      return body.applyAsInt(p);
    } catch (RuntimeException e) {
      if (p != null && p.parentGone) {
        return 0; // stopping while it started, as its parent asked; the watcher said so
      }
      if (e instanceof StartFailure f) {
        (f.exitCode() == 0 ? System.out : System.err)
            .println(f.exitCode() == 0 ? f.getMessage() : "error: " + f.getMessage());
        return f.exitCode();
      }
      e.printStackTrace();
      System.err.println("error: " + mainClass + " cannot start: " + e.getMessage());
      return 1;
    }
  }

  static ServiceProcess parse(String mainClass, String[] args, Map<String, String> own) {
    StringBuilder usage =
        new StringBuilder(
            "usage: "
                + mainClass
                + " --experiment ID --bootstrap-servers HOST:PORT --schema-registry-url URL"
                + " [--client-config FILE] [--spec-wait SECONDS] [--metrics-port [HOST:]PORT]"
                + " [--key-dir DIR]"
                + " [--parent-pid PID]");
    own.forEach(
        (option, text) -> usage.append(" [--").append(option).append(' ').append(text).append(']'));
    Map<String, String> options = new LinkedHashMap<>();
    ServiceProcess p = new ServiceProcess(mainClass, usage.toString(), options);
    for (int i = 0; i < args.length; i += 2) {
      String option = args[i].startsWith("--") ? args[i].substring(2) : null;
      if (option == null
          || (!REQUIRED.contains(option)
              && !OPTIONAL.contains(option)
              && !own.containsKey(option))) {
        throw p.usageError("unexpected argument " + args[i]);
      }
      if (i + 1 >= args.length) {
        throw p.usageError("--" + option + " needs a value");
      }
      if (options.put(option, args[i + 1]) != null) {
        throw p.usageError("--" + option + " given twice");
      }
    }
    for (String required : REQUIRED) {
      if (!options.containsKey(required)) {
        throw p.usageError("missing --" + required);
      }
    }
    try {
      String file = options.get("client-config");
      p.clients =
          ClientSettings.load(file == null ? null : Path.of(file))
              .at(options.get("bootstrap-servers"), options.get("schema-registry-url"));
    } catch (IllegalArgumentException e) {
      throw p.usageError(e.getMessage());
    }
    if (!p.clients.kafka().containsKey("bootstrap.servers")) {
      throw p.usageError("missing --bootstrap-servers (or bootstrap.servers in --client-config)");
    }
    if (!p.clients.registry().containsKey("schema.registry.url")) {
      throw p.usageError(
          "missing --schema-registry-url (or schema.registry.url in --client-config)");
    }
    String metrics = options.get("metrics-port");
    if (metrics != null) {
      int colon = metrics.lastIndexOf(':');
      p.metricsHost = colon < 0 ? "127.0.0.1" : metrics.substring(0, colon);
      try {
        p.metricsPort = Integer.parseInt(metrics.substring(colon + 1));
      } catch (NumberFormatException e) {
        p.metricsPort = -1;
      }
      if (p.metricsPort < 0 || p.metricsPort > 65535 || p.metricsHost.isEmpty()) {
        throw p.usageError(
            "--metrics-port takes [HOST:]PORT (0: a free port), got '" + metrics + "'");
      }
    }
    if (options.containsKey("parent-pid")) {
      p.watchParent(p.intOption("parent-pid", -1));
    }
    return p;
  }

  /**
   * Stops the service (as SIGTERM would: it closes cleanly) when the process that started it ends,
   * so that no service outlives a supervisor that was killed.
   */
  private void watchParent(long pid) {
    Optional<ProcessHandle> parent = ProcessHandle.of(pid);
    if (parent.isEmpty()) {
      throw new StartFailure(
          0, name + ": the process that started it (pid " + pid + ") has ended; not starting");
    }
    parent
        .get()
        .onExit()
        .thenRun(
            () -> {
              System.out.println(
                  name + ": the process that started it (pid " + pid + ") has ended; stopping");
              parentGone = true;
              LoopService service = running;
              if (service != null) {
                service.close();
              } else {
                starter.interrupt(); // still starting: end its waits
              }
            });
  }

  /** A wrong command line: the problem and the usage, exit code 2. */
  public StartFailure usageError(String problem) {
    return new StartFailure(2, problem + "\n" + usage);
  }

  public String experimentId() {
    return options.get("experiment");
  }

  /** A service option, or {@code otherwise}. */
  public String option(String option, String otherwise) {
    return options.getOrDefault(option, otherwise);
  }

  /** A service option that must be given. */
  public String requiredOption(String option) {
    String value = options.get(option);
    if (value == null) {
      throw usageError("missing --" + option);
    }
    return value;
  }

  /** A whole-number option, or {@code otherwise}; a value that is not one is a usage error. */
  public int intOption(String option, int otherwise) {
    String v = options.get(option);
    try {
      return v == null ? otherwise : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw usageError("--" + option + " must be a whole number, got '" + v + "'");
    }
  }

  /**
   * A name option (letters, digits, '.', '_', '-'), or, when it is not given, this host's name and
   * this process's id: replicas started from one command line (Compose's --scale, a Kubernetes
   * Deployment, processes on one host) each get a name of their own, and in a container (the
   * container's id as host name, the JVM as its process 1) the name stays the same across restarts
   * of the container, so that static group membership takes its work back at once.
   */
  public String nameOption(String option) {
    String v = options.get(option);
    if (v == null) {
      v = hostName() + "-" + ProcessHandle.current().pid();
    }
    if (!NAME.matcher(v).matches()) {
      throw usageError(
          "--" + option + " takes 1-100 letters, digits, '.', '_' or '-', got '" + v + "'");
    }
    return v;
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "1";
    }
  }

  /**
   * The registry of the service's meters. With {@code --metrics-port [HOST:]PORT} (host 127.0.0.1
   * unless given, e.g. 0.0.0.0 in a container; port 0 picks a free one) the first call starts
   * serving them and prints {@code metrics endpoint: SERVICE URL}; without, the registry keeps
   * nothing.
   */
  public MeterRegistry meters(String serviceName) {
    if (meters != null) {
      return meters;
    }
    if (metricsPort < 0) {
      meters = ServiceMeters.none();
      return meters;
    }
    try {
      endpoint = MetricsEndpoint.start(metricsHost, metricsPort, serviceName, experimentId());
    } catch (UncheckedIOException e) {
      throw new StartFailure(1, e.getMessage());
    }
    System.out.println("metrics endpoint: " + serviceName + " " + endpoint.url());
    meters = endpoint.registry();
    return meters;
  }

  /**
   * The private keys the service signs with, from {@code --key-dir DIR} ({@link KeyFiles}), for an
   * experiment that requires signatures; null for one that does not.
   *
   * @throws StartFailure if a signed experiment's keys cannot be read
   */
  public Signer signer(Experiment experiment) {
    if (!experiment.signed()) {
      return null;
    }
    String dir = options.get("key-dir");
    if (dir == null) {
      throw new StartFailure(
          1,
          "experiment "
              + experiment.id()
              + " requires signatures: give --key-dir DIR, the folder of its keys"
              + " (demlearn keys issue, or run --sign, wrote them)");
    }
    try {
      return KeyFiles.read(Path.of(dir), experiment.id());
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new StartFailure(1, "--key-dir " + dir + ": " + e.getMessage());
    }
  }

  /** Settings every Kafka client of the service gets. */
  public Map<String, Object> kafka() {
    return clients.kafka();
  }

  /** Settings of the schema registry client. */
  public Map<String, Object> registry() {
    return clients.registry();
  }

  /**
   * The experiment as its spec describes it, waiting for the spec to appear up to {@code
   * --spec-wait} seconds (default a minute; 0 waits as long as it takes).
   *
   * @throws StartFailure if there is none by then, or it cannot be used
   */
  public Experiment experiment(AvroSerdes serdes, int threads) {
    try (ExperimentLog log = new ExperimentLog(kafka(), experimentId(), Duration.ofSeconds(30))) {
      int wait = intOption("spec-wait", SPEC_WAIT_SECONDS);
      if (wait < 0) {
        throw usageError("--spec-wait must be >= 0 seconds, got " + wait);
      }
      return log.awaitExperiment(
          serdes, threads, wait == 0 ? Duration.ofDays(3650) : Duration.ofSeconds(wait));
    } catch (ExperimentLog.LogException e) {
      throw new StartFailure(1, e.getMessage());
    }
  }

  /**
   * The experiment's topics as they exist: the partition count and replication (replicas and
   * min.insync.replicas) read from the cluster, which the aggregator gives the topics it creates.
   *
   * @throws StartFailure if they do not exist
   */
  public ExperimentTopics topics() {
    String name = ExperimentTopics.of(experimentId()).modelUpdates().name();
    TopicAdmin.Replicas found;
    try (Admin admin = Admin.create(kafka())) {
      found = new TopicAdmin(admin, Duration.ofSeconds(30)).replication(List.of(name)).get(name);
    }
    if (found == null) {
      throw new StartFailure(
          1,
          "topic "
              + name
              + " does not exist: is the experiment id right, and the broker the one it runs on?");
    }
    try {
      return new ExperimentTopics(
          experimentId(),
          found.partitions(),
          new Replication((short) found.factor(), found.minInsync()),
          ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    } catch (IllegalArgumentException e) {
      throw new StartFailure(1, "topic " + name + ": " + e.getMessage());
    }
  }

  /**
   * Runs a service on this thread until it ends, the process gets SIGTERM or the parent process
   * ends; then the service is closed and this waits until its loop has closed its clients.
   *
   * @return the exit code: 0 after a clean stop, 1 if the service failed (the problem printed)
   */
  public int runUntilStopped(LoopService service, String serviceName) {
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              service.close();
              try {
                stopped.await();
                System.out.println(serviceName + " stopped on SIGTERM: " + service.describeStop());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            serviceName + "-shutdown");
    service.meters(meters(serviceName));
    Runtime.getRuntime().addShutdownHook(hook);
    running = service;
    try {
      if (!parentGone) {
        service.run();
      }
      return 0;
    } catch (RuntimeException e) {
      if (parentGone) {
        return 0; // interrupted as it started: its parent has ended
      }
      e.printStackTrace();
      System.err.println("error: the " + serviceName + " stopped: " + e.getMessage());
      return 1;
    } finally {
      if (endpoint != null) {
        endpoint.close();
      }
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // SIGTERM: the hook is running and reports the stop
      }
    }
  }
}
