package io.demlearn.pipeline.service;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A service that runs one loop on the thread that calls {@link #run} until {@link #close} is called
 * from another thread; close wakes the loop and waits (up to 30 s) until it has closed its Kafka
 * clients, so that nothing outlives what the service depends on.
 */
public abstract class LoopService implements Runnable, AutoCloseable {
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running;
  private volatile boolean closed;

  @Override
  public final void run() {
    running = true;
    try {
      if (closed) {
        return; // closed before it ran: nothing to start
      }
      loop();
    } finally {
      stopped.countDown();
    }
  }

  /** The service's loop: runs until {@link #closed()} and closes its clients before returning. */
  protected abstract void loop();

  /** Interrupts a blocking wait of the loop (a Kafka consumer's {@code wakeup()}). */
  protected abstract void wakeUp();

  /** What a clean stop leaves behind, for the line a process prints when SIGTERM stopped it. */
  public String describeStop() {
    return "its clients are closed, its work so far committed";
  }

  /** Whether {@link #close} has been called. */
  protected final boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    wakeUp();
    if (running) {
      try {
        stopped.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
