package io.demlearn.core.model;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed pool of daemon threads that train agents, each thread with a trainer of its own (its own
 * ND4J working memory); closing stops the threads and frees every trainer.
 */
public final class TrainingPool implements AutoCloseable {
  private final ExecutorService executor;
  private final ThreadLocal<Trainer> trainer;
  private final ConcurrentLinkedQueue<Trainer> trainers = new ConcurrentLinkedQueue<>();

  /**
   * @param threadName prefix of the threads' names (a number follows)
   */
  public TrainingPool(Model model, int threads, String threadName) {
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, threadName + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.trainer =
        ThreadLocal.withInitial(
            () -> {
              Trainer t = model.trainer();
              trainers.add(t);
              return t;
            });
  }

  public ExecutorService executor() {
    return executor;
  }

  /** The calling thread's trainer (created on its first use). */
  public Trainer trainer() {
    return trainer.get();
  }

  @Override
  public void close() {
    executor.shutdownNow();
    trainers.forEach(Trainer::close);
  }
}
