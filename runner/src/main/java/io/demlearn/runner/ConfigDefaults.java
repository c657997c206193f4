package io.demlearn.runner;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * Where an option's value comes from when the command line does not give it, in increasing
 * precedence: the code's default, then a properties file, then the environment; the command line
 * overrides all three.
 *
 * <ul>
 *   <li>Properties file: {@code --config FILE} or {@code DEMLEARN_CONFIG=FILE}; keys are option
 *       names without the leading dashes ({@code bootstrap-servers=host:9092}), optionally prefixed
 *       by the subcommand ({@code run.agents=10} applies to {@code run} only).
 *   <li>Environment: {@code DEMLEARN_} and the option name in capitals with '-' as '_' ({@code
 *       DEMLEARN_BOOTSTRAP_SERVERS}).
 * </ul>
 */
public final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  public static final String CONFIG_OPTION = "--config";
  public static final String CONFIG_ENV = "DEMLEARN_CONFIG";

  private final Properties file;
  private final Path filePath;
  private final Map<String, String> env;
  private final String command;

  ConfigDefaults(Properties file, Path filePath, Map<String, String> env, String command) {
    this.file = file;
    this.filePath = filePath;
    this.env = env;
    this.command = command;
  }

  /** The subcommand path of a command line, dot-separated ("run", "stack.start"), or "". */
  static String commandPath(String[] args) {
    StringBuilder path = new StringBuilder();
    int i = 0;
    while (i < args.length && args[i].startsWith("-")) {
      i += args[i].equals(CONFIG_OPTION) ? 2 : 1; // the root's own options come first
    }
    for (; i < args.length && !args[i].startsWith("-"); i++) {
      if (path.length() > 0) {
        path.append('.');
      }
      path.append(args[i]);
    }
    return path.toString();
  }

  /**
   * Reads the properties file that {@code args} or {@code env} name, if any.
   *
   * @throws UserException if that file does not exist or cannot be read
   */
  public static ConfigDefaults from(String[] args, Map<String, String> env) {
    String path = env.get(CONFIG_ENV);
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(CONFIG_OPTION) && i + 1 < args.length) {
        path = args[i + 1];
      } else if (args[i].startsWith(CONFIG_OPTION + "=")) {
        path = args[i].substring(CONFIG_OPTION.length() + 1);
      }
    }
    Properties props = new Properties();
    Path file = null;
    if (path != null && !path.isBlank()) {
      file = Path.of(path);
      if (!Files.isRegularFile(file)) {
        throw new UserException(
            "config file '"
                + file
                + "' (from "
                + CONFIG_OPTION
                + " or "
                + CONFIG_ENV
                + ") does not exist");
      }
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        props.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw new UserException("cannot read config file '" + file + "': " + e.getMessage());
      }
    }
    return new ConfigDefaults(props, file, env, commandPath(args));
  }

  @Override
  public String defaultValue(CommandLine.Model.ArgSpec argSpec) {
    if (!(argSpec instanceof CommandLine.Model.OptionSpec option)) {
      return argSpec.defaultValue();
    }
    String name = option.longestName().replaceFirst("^-+", "");
    if (name.equals(CONFIG_OPTION.substring(2))) {
      return argSpec.defaultValue();
    }
    String envValue = env.get("DEMLEARN_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
    if (envValue != null) {
      return envValue;
    }
    if (!command.isEmpty()) {
      String scoped = file.getProperty(command + "." + name);
      if (scoped != null) {
        return scoped;
      }
    }
    String plain = file.getProperty(name);
    return plain != null ? plain : argSpec.defaultValue();
  }

  /** The properties file in use, or null. */
  public Path file() {
    return filePath;
  }
}
