package io.demlearn.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local stack's bookkeeping, without starting a broker or a registry. */
class LocalStackUnitTest {
  @TempDir Path dir;

  @Test
  void freePortsDifferFromEachOtherAndFromTheOnesAsked() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int asked = taken.getLocalPort();
      int[] ports = Ports.resolve(0, asked, 0, 0);
      assertThat(ports[1]).isEqualTo(asked);
      assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(4);
      assertThat(Arrays.stream(ports).min().getAsInt()).isPositive();
      assertThat(Ports.isListening(asked)).isTrue();
      assertThat(Ports.isListening(ports[0])).isFalse();
    }
  }

  @Test
  void anOwnCopyIsRefreshedOnlyWhenTheFileChanged() throws IOException {
    Path jar = Files.writeString(dir.resolve("a.jar"), "first");
    Path lib = dir.resolve("lib");
    Path copy = JavaProcesses.ownCopy(jar, lib, "a.jar");
    assertThat(copy).hasContent("first");
    FileTime copied = Files.getLastModifiedTime(copy);
    assertThat(JavaProcesses.ownCopy(jar, lib, "a.jar")).hasContent("first");
    assertThat(Files.getLastModifiedTime(copy)).isEqualTo(copied);

    Files.writeString(jar, "second, longer");
    assertThat(JavaProcesses.ownCopy(jar, lib, "a.jar")).hasContent("second, longer");
  }

  @Test
  void aLogsTailIsItsLastLinesOrSaysThereIsNone() throws IOException {
    Path log = Files.writeString(dir.resolve("x.log"), "1\n2\n3\n4\n");
    assertThat(JavaProcesses.tail(log, 2)).isEqualTo("3\n4");
    assertThat(JavaProcesses.tail(log, 10)).isEqualTo("1\n2\n3\n4");
    assertThat(JavaProcesses.tail(dir.resolve("none.log"), 2)).contains("no log at");
  }

  @Test
  void aStackThatNeverStartedIsStoppedAndStalePidFilesAreRemoved() throws IOException {
    BackgroundStack stack = new BackgroundStack(dir);
    BackgroundStack.Status none = stack.status();
    assertThat(none.stopped()).isTrue();
    assertThat(none.running()).isFalse();

    // pid files left by processes that are gone (this JVM's pid is alive, but it is no broker)
    Files.writeString(dir.resolve("kafka.pid"), Long.toString(ProcessHandle.current().pid()));
    Files.writeString(dir.resolve("registry.pid"), "not a pid");
    assertThat(stack.status().stopped()).isTrue();
    assertThat(dir.resolve("kafka.pid")).doesNotExist();
  }

  @Test
  void dataIsDeletedOnlyFromAStoppedStack() throws IOException {
    BackgroundStack stack = new BackgroundStack(dir);
    Files.createDirectories(dir.resolve("kafka/logs"));
    Files.writeString(dir.resolve("kafka/logs/segment"), "x");
    stack.deleteData();
    assertThat(dir.resolve("kafka")).doesNotExist();
    assertThat(stack.status().stopped()).isTrue();
  }

  @Test
  void theBrokersSettingsGiveEveryInternalTopicOneReplica() {
    var props = EmbeddedKafkaBroker.serverProperties(dir, 19092, 19093);
    assertThat(props.getProperty("listeners")).contains(":19092").contains(":19093");
    assertThat(props.getProperty("controller.quorum.voters")).isEqualTo("1@127.0.0.1:19093");
    assertThat(props)
        .containsEntry("offsets.topic.replication.factor", "1")
        .containsEntry("transaction.state.log.replication.factor", "1")
        .containsEntry("transaction.state.log.min.isr", "1")
        .containsEntry("share.coordinator.state.topic.replication.factor", "1")
        .containsEntry("auto.create.topics.enable", "false");
    assertThat(props.getProperty("log.dirs")).startsWith(dir.toString());
    assertThatThrownBy(() -> Ports.resolve(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
