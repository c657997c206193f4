package io.demlearn.pipeline.signing;

import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Map.Entry;
import java.util.TreeMap;

/**
 * The private keys a service holds (a worker's agents', or the clusterer's), by owner and the round
 * each takes effect from, and the signatures they make: each record is signed by its owner's key in
 * force for its round, as {@link KeyRing} verifies it. Keys read from a folder ({@link
 * KeyFiles#read}) follow rotations ({@link #keepUpWith}). Thread-safe.
 */
public final class Signer {
  /** A private key and the id it is registered under. */
  private record Held(int keyId, PrivateKey key) {}

  private volatile Map<String, TreeMap<Integer, Held>> byOwner = new HashMap<>();

  /** Where its keys came from (to read rotated ones), or null. */
  private final Path dir;

  private final String experiment;
  private int checkedRound = -1;

  /** A signer of the keys added to it. */
  public Signer() {
    this(null, null);
  }

  /** A signer of the keys in {@code dir}'s folder of {@code experiment} ({@link KeyFiles}). */
  Signer(Path dir, String experiment) {
    this.dir = dir;
    this.experiment = experiment;
  }

  /** Adds an owner's key, in force from {@code effectiveFromRound} to its next key. */
  public Signer add(String owner, int effectiveFromRound, PrivateKey key) {
    return add(owner, 0, effectiveFromRound, key);
  }

  /** Adds an owner's key registered as {@code keyId}. */
  public synchronized Signer add(String owner, int keyId, int effectiveFromRound, PrivateKey key) {
    Map<String, TreeMap<Integer, Held>> next = new HashMap<>(byOwner);
    TreeMap<Integer, Held> keys = new TreeMap<>(next.getOrDefault(owner, new TreeMap<>()));
    keys.put(effectiveFromRound, new Held(keyId, key));
    next.put(owner, keys);
    byOwner = next;
    return this;
  }

  /**
   * Makes sure it signs {@code round} with the keys in force as registered: the first time it is
   * asked about a round past the last it checked, it reads the keys registered since ({@link
   * SignatureCheck.Keys#refresh()}) and, if an owner it signs for has a key in force it does not
   * hold (a rotation, {@code demlearn keys rotate}), reads its folder again. One signer per
   * service: it remembers the last round it checked.
   *
   * @throws IllegalStateException if a registered key in force is not in the folder
   */
  public synchronized void keepUpWith(SignatureCheck.Keys registered, int round) {
    if (round <= checkedRound) {
      return;
    }
    checkedRound = round;
    registered.refresh();
    KeyRing ring = registered.ring();
    String missing = firstMissing(ring, round);
    if (missing == null) {
      return;
    }
    if (dir != null) {
      byOwner = KeyFiles.read(dir, experiment).byOwner;
      missing = firstMissing(ring, round);
    }
    if (missing != null) {
      throw new IllegalStateException(
          missing
              + (dir == null
                  ? ""
                  : " (the folder " + dir.resolve(experiment) + " does not hold it)"));
    }
  }

  /** The first owner it signs for whose registered key in force for the round it lacks, or null. */
  private String firstMissing(KeyRing ring, int round) {
    for (Map.Entry<String, TreeMap<Integer, Held>> e : byOwner.entrySet()) {
      int registered = ring.keyIdInForce(e.getKey(), round);
      Entry<Integer, Held> held = e.getValue().floorEntry(round);
      if (registered != 0 && (held == null || held.getValue().keyId() != registered)) {
        return "key "
            + registered
            + " of "
            + e.getKey()
            + " is registered for round "
            + round
            + ", but this service does not hold it";
      }
    }
    return null;
  }

  /** Whether it holds a key of the owner for the round. */
  public boolean signs(String owner, int round) {
    return key(owner, round) != null;
  }

  /**
   * The update with its signature set.
   *
   * @throws IllegalStateException if there is no key of its agent for its round
   */
  public ModelUpdate sign(ModelUpdate u) {
    u.setSignature(null);
    u.setSignature(signature(u.getAgentId(), u.getRound(), Canonical.of(u)));
    return u;
  }

  public ClusteringFeatures sign(ClusteringFeatures f) {
    f.setSignature(null);
    f.setSignature(signature(f.getAgentId(), f.getRound(), Canonical.of(f)));
    return f;
  }

  public HierarchyAssignment sign(HierarchyAssignment h) {
    h.setSignature(null);
    h.setSignature(signature(KeyRing.CLUSTERER, h.getEffectiveFromRound(), Canonical.of(h)));
    return h;
  }

  private ByteBuffer signature(String owner, int round, byte[] content) {
    PrivateKey key = key(owner, round);
    if (key == null) {
      throw new IllegalStateException("no key of " + owner + " signs round " + round);
    }
    return ByteBuffer.wrap(Ed25519.sign(key, content));
  }

  private PrivateKey key(String owner, int round) {
    TreeMap<Integer, Held> keys = byOwner.get(owner);
    Entry<Integer, Held> e = keys == null ? null : keys.floorEntry(round);
    return e == null ? null : e.getValue().key();
  }
}
