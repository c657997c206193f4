package io.demlearn.core;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Seeds split per component: every random stream of an experiment (data dealing, each agent's
 * shuffling, model initialisation, ...) is derived from the experiment's seed, a component name and
 * an index, so that streams are independent of each other and of the order in which they are used.
 * The mixing is SplitMix64's finaliser.
 */
public final class Seeds {
  private Seeds() {}

  /** The seed of {@code component}'s stream number {@code index} under {@code seed}. */
  public static long derive(long seed, String component, long index) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    for (byte b : component.getBytes(StandardCharsets.UTF_8)) {
      h = mix(h ^ (b & 0xffL));
    }
    return mix(h ^ mix(index + 0x632BE59BD9B4E019L));
  }

  /** A random stream for {@code component}'s stream number {@code index} under {@code seed}. */
  public static SplittableRandom random(long seed, String component, long index) {
    return new SplittableRandom(derive(seed, component, index));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Fisher-Yates shuffle of {@code a} in place. */
  public static void shuffle(int[] a, SplittableRandom random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
