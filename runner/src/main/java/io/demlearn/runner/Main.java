package io.demlearn.runner;

import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.schemas.registry.SchemaRegistryException;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.schemas.topics.TopicConflictException;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code demlearn} command line (the README lists its commands). Option values come from the
 * command line, else the environment, else a properties file, else the code's defaults ({@link
 * ConfigDefaults}).
 */
@Command(
    name = "demlearn",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Hierarchical, self-organizing federated learning (DemLearn) on Kafka.",
    subcommands = {
      SimulateCommand.class,
      RunCommand.class,
      AggregatorCommand.class,
      ReplayCommand.class,
      AuditCommand.class,
      CheckCommand.class,
      ClusterCommand.class,
      StackCommand.class,
      BenchmarkCommand.class,
      CompareCommand.class,
      KeysCommand.class
    })
public final class Main {
  @Option(
      names = ConfigDefaults.CONFIG_OPTION,
      paramLabel = "FILE",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Properties file with option defaults (keys: option names without dashes).")
  Path config;

  @Option(
      names = "--debug",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean debug;

  public static void main(String[] args) {
    // SameDiff prints a line per op to System.out when it builds a gradient graph
    System.setOut(new QuietStdout(System.out, "Added differentiated op "));
    System.exit(execute(args, System.getenv()));
  }

  /** Runs one command line and returns its exit code. */
  public static int execute(String[] args, Map<String, String> env) {
    CommandLine cli = commandLine(args, env);
    if (cli == null) {
      return 2;
    }
    try {
      return cli.execute(args);
    } catch (OutOfMemoryError e) {
      System.err.println(OUT_OF_MEMORY);
      return 1;
    }
  }

  private static final String OUT_OF_MEMORY =
      "error: the JVM ran out of memory (maximum heap "
          + Runtime.getRuntime().maxMemory() / (1 << 20)
          + " MB): give it more with DEMLEARN_JAVA_OPTS, e.g. DEMLEARN_JAVA_OPTS=-Xmx8g"
          + " ./demlearn ... (--eval-agents and --cluster-dims make large runs need less)";

  static CommandLine commandLine(String[] args, Map<String, String> env) {
    ConfigDefaults defaults;
    try {
      defaults = ConfigDefaults.from(args, env);
    } catch (UserException e) {
      System.err.println("error: " + e.getMessage());
      return null;
    }
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(defaults);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean debug =
              parseResult.matchedOption("--debug") != null
                  || (parseResult.subcommand() != null && hasDebug(parseResult));
          PrintWriter err = commandLine.getErr();
          if (outOfMemory(e)) {
            err.println(OUT_OF_MEMORY);
            err.flush();
            return 1;
          }
          if (debug || !isExplained(e)) {
            e.printStackTrace(err);
          }
          err.println("error: " + explain(e));
          if (!debug && !isExplained(e)) {
            err.println("(this looks like a bug: the stack trace is above; please report it)");
          }
          err.flush();
          return 1;
        });
    return cli;
  }

  private static boolean hasDebug(CommandLine.ParseResult result) {
    for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
      if (r.matchedOption("--debug") != null) {
        return true;
      }
    }
    return false;
  }

  private static boolean outOfMemory(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OutOfMemoryError) {
        return true;
      }
    }
    return false;
  }

  /** Failures whose message tells the user what went wrong, without needing a stack trace. */
  private static boolean isExplained(Throwable e) {
    return e instanceof UserException
        || e instanceof TopicConflictException
        || e instanceof SchemaRegistryException
        || e instanceof TopicAdmin.KafkaOperationException
        || e instanceof KafkaException
        || e instanceof EmbeddedKafkaBroker.BrokerStartException
        || e instanceof LocalSchemaRegistry.RegistryStartException
        || e instanceof ExperimentLog.LogException
        || e instanceof IllegalArgumentException;
  }

  private static String explain(Throwable e) {
    String message = e.getMessage();
    return message != null ? message : e.toString();
  }
}
