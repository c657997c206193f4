package io.demlearn.core;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The names settings are written with: an enum constant's label is its name in lower case ({@code
 * EUCLIDEAN} is {@code euclidean}), the form the command line, the records and the provenance use.
 */
public final class Labels {
  private Labels() {}

  /** The label of a constant: its name in lower case. */
  public static String of(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /**
   * The constant a label names, in any case and with surrounding blanks ignored.
   *
   * @param what what the constants are, for the message ("linkage")
   * @throws IllegalArgumentException naming the label and every one allowed
   */
  public static <E extends Enum<E>> E parse(Class<E> type, String text, String what) {
    try {
      return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> labels = Arrays.stream(type.getEnumConstants()).map(Labels::of).toList();
      String last = labels.get(labels.size() - 1);
      String choices =
          labels.size() == 1
              ? last
              : String.join(", ", labels.subList(0, labels.size() - 1)) + " or " + last;
      throw new IllegalArgumentException("unknown " + what + " '" + text + "': use " + choices, e);
    }
  }
}
