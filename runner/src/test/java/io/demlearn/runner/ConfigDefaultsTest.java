package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Option values: code defaults < properties file < environment < command line. */
class ConfigDefaultsTest {
  @TempDir Path dir;

  private RunCommand parse(Map<String, String> env, String... args) {
    String[] full = new String[args.length + 1];
    full[0] = "run";
    System.arraycopy(args, 0, full, 1, args.length);
    CommandLine cli = Main.commandLine(full, env);
    CommandLine.ParseResult result = cli.parseArgs(full);
    return (RunCommand) result.subcommand().commandSpec().userObject();
  }

  private Path file(String content) throws IOException {
    Path f = dir.resolve("demlearn.properties");
    Files.writeString(f, content);
    return f;
  }

  @Test
  void codeDefaultsApplyWhenNothingElseIsGiven() {
    RunCommand run = parse(Map.of());
    assertThat(run.experiment.agents)
        .isNull(); // resolved by the settings: 50, or the partition file's count
    assertThat(run.experiment.settings().agents()).isEqualTo(50);
    assertThat(run.experiment.settings().rounds()).isEqualTo(100);
    assertThat(run.experiment.settings().seed()).isEqualTo(1);
    assertThat(run.connection.bootstrapServers).isNull();
  }

  @Test
  void aPropertiesFileOverridesCodeDefaults() throws IOException {
    Path f = file("agents=7\nbootstrap-servers=file:9092\n");
    RunCommand run = parse(Map.of(), "--config", f.toString());
    assertThat(run.experiment.agents).isEqualTo("7");
    assertThat(run.experiment.settings().seed()).isEqualTo(1);
    assertThat(run.connection.bootstrapServers).isEqualTo("file:9092");
  }

  @Test
  void aCommandScopedKeyWinsOverAPlainOneInTheFile() throws IOException {
    Path f = file("agents=7\nrun.agents=8\n");
    assertThat(parse(Map.of(), "--config=" + f).experiment.agents).isEqualTo("8");
  }

  @Test
  void theEnvironmentOverridesTheFile() throws IOException {
    Path f = file("agents=7\nbootstrap-servers=file:9092\n");
    RunCommand run = parse(Map.of("DEMLEARN_CONFIG", f.toString(), "DEMLEARN_AGENTS", "9"));
    assertThat(run.experiment.agents).isEqualTo("9");
    assertThat(run.connection.bootstrapServers).isEqualTo("file:9092");
  }

  @Test
  void theCommandLineOverridesEverything() throws IOException {
    Path f = file("agents=7\nseed=5\n");
    RunCommand run =
        parse(
            Map.of("DEMLEARN_AGENTS", "9", "DEMLEARN_BOOTSTRAP_SERVERS", "env:9092"),
            "--config",
            f.toString(),
            "--agents",
            "11",
            "--bootstrap-servers",
            "cli:9092");
    assertThat(run.experiment.agents).isEqualTo("11");
    assertThat(run.experiment.seed).isEqualTo(5L);
    assertThat(run.connection.bootstrapServers).isEqualTo("cli:9092");
  }

  @Test
  void aMissingConfigFileIsNamed() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true));
    try {
      int rc =
          Main.execute(
              new String[] {"run", "--config", dir.resolve("nope.properties").toString()},
              Map.of());
      assertThat(rc).isEqualTo(2);
    } finally {
      System.setErr(old);
    }
    assertThat(err.toString())
        .contains("config file '" + dir.resolve("nope.properties") + "'")
        .contains("does not exist");
  }

  @Test
  void aBadValueInTheEnvironmentIsReportedAsAUsageError() {
    CommandLine cli = Main.commandLine(new String[] {"run"}, Map.of("DEMLEARN_AGENTS", "many"));
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("run")).isEqualTo(2);
    assertThat(err.toString()).contains("--agents").contains("many");
  }
}
