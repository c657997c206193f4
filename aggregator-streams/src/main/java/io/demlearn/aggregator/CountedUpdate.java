package io.demlearn.aggregator;

/**
 * A counted update as the intake stores it instead of the update: where it is in its partition of
 * {@code model-updates}, and whether its group's stored sum holds it yet. Reading it back from
 * there tells a re-send from a conflicting update, which is rare enough not to keep a digest of
 * every update.
 */
record CountedUpdate(long offset, boolean added) {
  CountedUpdate asAdded() {
    return new CountedUpdate(offset, true);
  }
}
