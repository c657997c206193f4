package io.demlearn.runner;

import io.demlearn.schemas.security.Role;
import io.demlearn.stack.BackgroundStack;
import io.demlearn.stack.StackSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code demlearn stack start|stop|status}: a local broker and registry in the background. */
@Command(
    name = "stack",
    mixinStandardHelpOptions = true,
    description =
        "A local Kafka broker and schema registry as background processes, for multi-process runs.",
    subcommands = {
      StackCommand.Start.class,
      StackCommand.Stop.class,
      StackCommand.Status.class,
      StackCommand.Certificates.class
    })
final class StackCommand {
  @Option(
      names = "--dir",
      paramLabel = "DIR",
      scope = picocli.CommandLine.ScopeType.INHERIT,
      description =
          "Where the stack keeps its pid files, logs and data (default: <demlearn home>/stack).")
  Path dir;

  BackgroundStack stack() {
    return new BackgroundStack(dir != null ? dir : DemlearnHome.dir().resolve("stack"));
  }

  static void print(BackgroundStack.Status s, BackgroundStack stack) {
    System.out.println(
        "broker:   "
            + (s.brokerPid().isPresent()
                ? (s.brokerReady() ? "running" : "starting or unresponsive")
                    + " (pid "
                    + s.brokerPid().get()
                    + ")"
                : "stopped"));
    System.out.println(
        "registry: "
            + (s.registryPid().isPresent()
                ? (s.registryReady() ? "running" : "starting or unresponsive")
                    + " (pid "
                    + s.registryPid().get()
                    + ")"
                : "stopped"));
    if (!s.stopped()) {
      System.out.println("bootstrap servers:   " + s.bootstrapServers());
      System.out.println("schema registry URL: " + s.schemaRegistryUrl());
      System.out.println("directory:           " + stack.dir());
      s.security()
          .ifPresent(
              security -> {
                System.out.println(
                    "security:            mutual TLS, ACLs; certificates in " + security.dir());
                for (String role : Role.ids()) {
                  System.out.println("client config: " + role + " " + security.clientConfig(role));
                }
              });
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = "Start the broker and registry (if not running) and wait until both are ready.")
  static final class Start implements Callable<Integer> {
    @ParentCommand StackCommand parent;

    @Option(
        names = "--kafka-port",
        paramLabel = "PORT",
        description = "Broker port (default: the previous one, else 9092; 0 picks a free port).")
    Integer kafkaPort;

    @Option(
        names = "--registry-port",
        paramLabel = "PORT",
        description = "Registry port (default: the previous one, else 8081; 0 picks a free port).")
    Integer registryPort;

    @Option(
        names = "--secure",
        description =
            "Mutual TLS on the broker and the registry, certificates made by a local authority,"
                + " one principal per role (operator, worker, aggregator, clusterer) with"
                + " least-privilege ACLs; prints each role's client-config file. A stack started"
                + " secure stays so until stop --delete-data.")
    boolean secure;

    @Option(
        names = "--timeout",
        defaultValue = "120",
        paramLabel = "SECONDS",
        description = "How long to wait for readiness (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() {
      Console console = new Console(System.out);
      BackgroundStack stack = parent.stack();
      BackgroundStack.Status s;
      try {
        s =
            stack.start(
                kafkaPort,
                registryPort,
                secure ? Role.ids() : List.of(),
                Duration.ofSeconds(timeoutSeconds),
                console::step);
      } catch (IllegalStateException e) {
        throw new UserException(e.getMessage(), e);
      }
      console.step("ready");
      print(s, stack);
      System.out.println();
      if (s.security().isPresent()) {
        System.out.println(
            "use it with: ./demlearn run (the operator's client config and the services' are"
                + " found in "
                + s.security().get().dir()
                + "), or give --client-config ROLE-FILE to any command");
      } else {
        System.out.println(
            "use it with: ./demlearn run --bootstrap-servers "
                + s.bootstrapServers()
                + " --schema-registry-url "
                + s.schemaRegistryUrl());
      }
      return 0;
    }
  }

  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = "Stop the broker and registry cleanly; their data is kept for the next start.")
  static final class Stop implements Callable<Integer> {
    @ParentCommand StackCommand parent;

    @Option(
        names = "--delete-data",
        description = "Also delete the broker's topics and the registry's schemas.")
    boolean deleteData;

    @Override
    public Integer call() {
      Console console = new Console(System.out);
      BackgroundStack stack = parent.stack();
      try {
        stack.stop(console::step);
      } catch (IllegalStateException e) {
        throw new UserException(e.getMessage(), e);
      }
      if (deleteData) {
        stack.deleteData();
        console.step("deleted the data in " + stack.dir());
      }
      console.step("stopped");
      return 0;
    }
  }

  @Command(
      name = "certificates",
      mixinStandardHelpOptions = true,
      description =
          "Make (or complete) the certificates of a secure deployment elsewhere, as --secure does"
              + " for the local stack: a certificate authority, key stores for the brokers, the"
              + " registry and each role, and each role's client-config file (the secure Compose"
              + " deployment: docker/compose.secure.yaml).")
  static final class Certificates implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where they go.")
    Path out;

    @Option(
        names = "--host",
        paramLabel = "NAME",
        description =
            "A name the brokers and the registry are reached by (repeatable; loopback"
                + " always).")
    List<String> hosts = new java.util.ArrayList<>();

    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT[,...]",
        description = "The brokers, as the clients reach them (written in the client configs).")
    String bootstrapServers;

    @Option(
        names = "--schema-registry-url",
        paramLabel = "URL",
        description = "The registry, as the clients reach it (written in the client configs).")
    String registryUrl;

    @Option(
        names = "--stores-at",
        paramLabel = "PATH",
        description =
            "Where the clients find this folder (a container's mount of it; default: --out).")
    Path storesAt;

    @Option(
        names = "--config-dir",
        paramLabel = "DIR",
        description =
            "Where the client configs go (default: --out); e.g. a second set for this host, with"
                + " the addresses the host reaches the deployment by.")
    Path configDir;

    @Override
    public Integer call() {
      if (bootstrapServers == null || registryUrl == null) {
        throw new UserException(
            "give --bootstrap-servers and --schema-registry-url: the client configs name them");
      }
      StackSecurity security = StackSecurity.ensure(out.toAbsolutePath(), Role.ids(), hosts);
      Map<String, Path> files =
          security.writeClientConfigs(
              Role.ids(),
              bootstrapServers,
              registryUrl,
              storesAt != null ? storesAt : security.dir(),
              configDir != null ? configDir.toAbsolutePath() : security.dir());
      System.out.println("certificates and key stores in " + security.dir());
      files.forEach((role, file) -> System.out.println("client config: " + role + " " + file));
      return 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "Show whether the broker and registry run, and where. Exit code 0: both running;"
              + " 3: both stopped; 1: partly running.")
  static final class Status implements Callable<Integer> {
    @ParentCommand StackCommand parent;

    @Override
    public Integer call() {
      BackgroundStack stack = parent.stack();
      BackgroundStack.Status s = stack.status();
      print(s, stack);
      return s.running() ? 0 : s.stopped() ? 3 : 1;
    }
  }
}
