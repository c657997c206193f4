package io.demlearn.stack;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the local Kafka broker as a process of its own (used by {@code demlearn stack start}):
 * {@code BrokerMain --data DIR --port P --controller-port C [--security DIR]} (the folder of {@link
 * StackSecurity}: mutual TLS and ACLs). SIGTERM stops it cleanly (a controlled shutdown); its data
 * stays in DIR for the next start.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Path data = null;
    int port = 0;
    int controllerPort = 0;
    Path security = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--data" -> data = Path.of(value);
        case "--port" -> port = Integer.parseInt(value);
        case "--controller-port" -> controllerPort = Integer.parseInt(value);
        case "--security" -> security = Path.of(value);
        default -> {
          System.err.println(
              "unknown argument "
                  + args[i]
                  + "; usage: BrokerMain --data DIR --port P --controller-port C [--security DIR]");
          System.exit(2);
        }
      }
      i++;
    }
    if (data == null) {
      System.err.println(
          "missing --data DIR; usage: BrokerMain --data DIR --port P --controller-port C"
              + " [--security DIR]");
      System.exit(2);
    }
    EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(
            data,
            false,
            port,
            controllerPort,
            security == null ? null : StackSecurity.open(security));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("stopping the broker (controlled shutdown)");
                  broker.close();
                  System.out.println("broker stopped");
                  stopped.countDown();
                },
                "broker-shutdown"));
    System.out.println("broker ready at " + broker.bootstrapServers());
    stopped.await();
  }
}
